"""An ONNX tensor stored as 'external data' names a file path; such models are refused
before the checker (which would resolve the path) or onnxruntime (which would read it)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from explain.engines.scoring import ModelLoadError, load_scoring_model
from registry.models import Blob, ModelVersion
from registry.onnx_tensors import external_tensors
from tests.conftest import register

REAL_FILE = "governance/settings.py"  # relative to the web process's working directory
MISSING_FILE = "no/such/file.bin"


def _external(tensor: TensorProto, location: str) -> TensorProto:
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "12")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def _weights(location: str | None) -> TensorProto:
    tensor = numpy_helper.from_array(np.array([[0.1], [0.0002], [-0.01]], dtype=np.float32),
                                     "weights")
    return _external(tensor, location) if location else tensor


def _model(graph_nodes, initializer=(), **model_fields) -> bytes:
    graph = helper.make_graph(
        graph_nodes, "credit",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [None, 1])],
        initializer=list(initializer))
    model = helper.make_model(graph, producer_name="crafted", **model_fields)
    return model.SerializeToString()


def _reading(location: str) -> bytes:
    """Outputs the file's first 12 bytes as 'scores' if a runtime ever reads it."""
    return _model([helper.make_node("MatMul", ["features", "weights"], ["margin"]),
                   helper.make_node("Sigmoid", ["margin"], ["probability"])],
                  [_weights(location)])


def _constant_node(location: str, name="leak") -> onnx.NodeProto:
    value = _external(numpy_helper.from_array(np.zeros(3, dtype=np.float32), "c"), location)
    return helper.make_node("Constant", [], [name], value=value)


def _problem(response):
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.status_code, response.json()


def test_a_model_reading_a_server_file_and_one_naming_a_missing_file_get_the_same_422(
        ci_api, monkeypatch):
    assert (pytest.importorskip("pathlib").Path(REAL_FILE)).exists()

    def checker_must_not_run(*args, **kwargs):
        raise AssertionError("onnx.checker saw a model with external data")

    monkeypatch.setattr(onnx.checker, "check_model", checker_must_not_run)
    real = _problem(register(ci_api, "credit-pd", _reading(REAL_FILE), name="m.onnx"))
    missing = _problem(register(ci_api, "credit-pd", _reading(MISSING_FILE), name="m.onnx"))
    assert real[0] == missing[0] == 422
    assert real[1]["type"] == "/api/problems/onnx-external-data"
    assert "initializer 'weights'" in real[1]["detail"]
    assert real[1]["detail"] == missing[1]["detail"]
    assert real[1]["tensors"] == missing[1]["tensors"] == ["graph initializer 'weights'"]
    assert ModelVersion.objects.count() == 0 and Blob.objects.count() == 0


def test_declared_onnx_format_is_refused_the_same_way(ci_api):
    response = register(ci_api, "credit-pd", _reading(REAL_FILE), name="m.onnx",
                        metadata={"artifact_format": "onnx"})
    assert _problem(response)[0] == 422


def test_a_self_contained_onnx_model_is_still_accepted(ci_api, onnx_bytes):
    assert register(ci_api, "credit-pd", onnx_bytes, name="m.onnx").status_code == 201


def _parsed(data: bytes):
    return onnx.load_model_from_string(data)


def test_attribute_tensor_of_a_constant_node_is_found():
    data = _model([_constant_node(REAL_FILE),
                   helper.make_node("Sigmoid", ["features"], ["probability"])])
    assert external_tensors(_parsed(data)) == ["graph node 'Constant' attribute 'value'"]


def test_tensors_attribute_entries_are_found():
    node = helper.make_node("Custom", ["features"], ["probability"], domain="x")
    node.attribute.append(helper.make_attribute(
        "tables", [_weights(None), _external(numpy_helper.from_array(
            np.zeros(2, np.float32), "t"), REAL_FILE)]))
    found = external_tensors(_parsed(_model([node])))
    assert found == ["graph node 'Custom' attribute 'tables'[1]"]


def test_tensors_in_if_loop_and_scan_subgraphs_are_found():
    branch = helper.make_graph([_constant_node(MISSING_FILE, "out")], "then_branch", [],
                               [helper.make_tensor_value_info("out", TensorProto.FLOAT, [3])],
                               initializer=[_weights(REAL_FILE)])
    else_branch = helper.make_graph([_constant_node(REAL_FILE, "out")], "else_branch", [],
                                    [helper.make_tensor_value_info("out", TensorProto.FLOAT,
                                                                   [3])])
    node = helper.make_node("If", ["cond"], ["probability"], then_branch=branch,
                            else_branch=else_branch)
    found = external_tensors(_parsed(_model([node])))
    assert len(found) == 3
    assert any("subgraph 'then_branch' initializer 'weights'" in where for where in found)
    assert any("subgraph 'else_branch' node 'Constant'" in where for where in found)


def test_sparse_initializers_and_function_bodies_are_found():
    sparse = helper.make_sparse_tensor(
        _external(numpy_helper.from_array(np.ones(2, np.float32), "sv"), REAL_FILE),
        numpy_helper.from_array(np.array([0, 2], np.int64), "si"), [3])
    function = helper.make_function("local", "leaky", ["x"], ["y"],
                                    [_constant_node(REAL_FILE, "y")],
                                    [helper.make_opsetid("", 17)])
    graph = helper.make_graph(
        [helper.make_node("leaky", ["features"], ["probability"], domain="local")], "g",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, 3])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [None, 1])],
        sparse_initializer=[sparse])
    model = helper.make_model(graph, functions=[function])
    found = external_tensors(_parsed(model.SerializeToString()))
    assert found == ["graph sparse initializer 'sv' (values)",
                     "function local.leaky node 'Constant' attribute 'value'"]


def test_the_engine_never_reads_external_data_next_to_the_worker(tmp_path, monkeypatch):
    """Even if a model with external data reached the worker, it is loaded from bytes in
    an empty temporary directory (onnxruntime 1.24 also refuses external data without
    a model path; this guards against a runtime that resolves it against the cwd)."""
    (tmp_path / "weights.bin").write_bytes(np.array([1, 2, 3], np.float32).tobytes())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLoadError):
        load_scoring_model(_reading("weights.bin"), "onnx", ["duration", "amount", "age"])
    assert (tmp_path / "weights.bin").exists()
