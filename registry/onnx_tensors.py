"""Find every tensor of an ONNX model, to refuse those stored as external data.

An ONNX tensor may say "my bytes are in the file at <location>" (``data_location =
EXTERNAL`` with ``external_data`` entries). ``onnx.checker`` resolves such a path
against the current directory (so its answer tells whether a server file exists) and
onnxruntime reads the file into the tensor (so a model can output a server file as
scores). Assay accepts self-contained models only: this walk runs on the parsed
protobuf *before* the checker or any runtime sees the model.

The walk covers graph initializers, sparse initializers (values and indices), every
tensor-valued attribute (TENSOR, TENSORS, SPARSE_TENSOR, SPARSE_TENSORS), the
subgraphs of control-flow nodes (If, Loop, Scan: GRAPH and GRAPHS attributes, at any
depth), model-local functions (their nodes and default attributes) and training
graphs. No Django import: the worker uses it too.
"""

from collections.abc import Iterator


def _tensor_is_external(tensor) -> bool:
    from onnx import TensorProto

    return tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data) > 0


def _sparse_tensors(sparse, where: str) -> Iterator[tuple[str, object]]:
    yield f"{where} (values)", sparse.values
    yield f"{where} (indices)", sparse.indices


def _attribute_tensors(attribute, where: str) -> Iterator[tuple[str, object]]:
    here = f"{where} attribute {attribute.name!r}"
    if attribute.HasField("t"):
        yield here, attribute.t
    for index, tensor in enumerate(attribute.tensors):
        yield f"{here}[{index}]", tensor
    if attribute.HasField("sparse_tensor"):
        yield from _sparse_tensors(attribute.sparse_tensor, here)
    for index, sparse in enumerate(attribute.sparse_tensors):
        yield from _sparse_tensors(sparse, f"{here}[{index}]")
    if attribute.HasField("g"):
        yield from _graph_tensors(attribute.g, f"{here} subgraph {attribute.g.name!r}")
    for index, graph in enumerate(attribute.graphs):
        yield from _graph_tensors(graph, f"{here}[{index}] subgraph {graph.name!r}")


def _node_tensors(node, where: str) -> Iterator[tuple[str, object]]:
    label = node.name or node.op_type
    for attribute in node.attribute:
        yield from _attribute_tensors(attribute, f"{where} node {label!r}")


def _graph_tensors(graph, where: str) -> Iterator[tuple[str, object]]:
    for tensor in graph.initializer:
        yield f"{where} initializer {tensor.name!r}", tensor
    for sparse in graph.sparse_initializer:
        yield from _sparse_tensors(sparse, f"{where} sparse initializer "
                                           f"{sparse.values.name!r}")
    for node in graph.node:
        yield from _node_tensors(node, where)


def model_tensors(model) -> Iterator[tuple[str, object]]:
    """(where, TensorProto) for every tensor the model holds, at any depth."""
    yield from _graph_tensors(model.graph, "graph")
    for function in model.functions:
        where = f"function {function.domain}.{function.name}"
        for node in function.node:
            yield from _node_tensors(node, where)
        for attribute in getattr(function, "attribute_proto", ()):
            yield from _attribute_tensors(attribute, f"{where} default")
    for index, training in enumerate(model.training_info):
        yield from _graph_tensors(training.initialization, f"training[{index}] initialization")
        yield from _graph_tensors(training.algorithm, f"training[{index}] algorithm")


def external_tensors(model) -> list[str]:
    """Where each tensor stored as external data is (empty for a self-contained model).
    The paths the tensors name are never looked at."""
    return [where for where, tensor in model_tensors(model) if _tensor_is_external(tensor)]
