from rest_framework import serializers

from governance.workflow.transitions import TRANSITIONS

PLAIN_ACTIONS = [action for action, step in TRANSITIONS.items() if not step.signed]


class TransitionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=PLAIN_ACTIONS, help_text=(
        "Signed decisions (approve, reject, request changes) are taken in the browser, "
        "where the signer re-enters their password."))
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=5000)


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class VersionStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    approval = serializers.JSONField(allow_null=True, help_text=(
        "round, policy, approved_at, expires_at, grace_until, artifact_sha256, evidence "
        "(kind -> run, input hashes, result sha256), signatures, conditions"))
    open_high_findings = serializers.ListField(child=serializers.CharField())


class DeployableSerializer(serializers.Serializer):
    deployable = serializers.BooleanField()
    model = serializers.CharField()
    as_of = serializers.DateTimeField()
    version = VersionStateSerializer(allow_null=True)
    revalidation_overdue = serializers.BooleanField()
    reasons = ReasonSerializer(many=True)
    audit_pack = serializers.JSONField(allow_null=True, help_text=(
        "the audit pack rendered when the approval took effect: pack_id, sha256, download "
        "(null while it is being rendered, and in refusals)"))


class ModelStateSerializer(serializers.Serializer):
    model = serializers.CharField()
    as_of = serializers.DateTimeField()
    versions = VersionStateSerializer(many=True)
    deployable = DeployableSerializer()


def approval_pack(state) -> dict | None:
    """The pack recorded with the version's approval (reports' AuditPack, reached through
    the version so that the workflow does not import reports)."""
    from registry.models import ModelVersion

    if state is None or not state.approval:
        return None
    version = ModelVersion.objects.filter(pk=state.id).first()
    pack = version and version.audit_packs.filter(
        approval__round=state.approval.get("round")).order_by("-created_at", "-id").first()
    if not pack:
        return None
    return {"pack_id": pack.pack_id, "sha256": pack.sha256,
            "download": f"/api/v1/audit-packs/{pack.pack_id}.pdf"}


def answer_document(answer) -> dict:
    state = answer.version
    return {"deployable": answer.deployable, "model": answer.model, "as_of": answer.at,
            "version": VersionStateSerializer(state).data if state else None,
            "revalidation_overdue": answer.revalidation_overdue,
            "audit_pack": approval_pack(state) if answer.deployable else None,
            "reasons": [{"code": code, "message": message}
                        for code, message in zip(answer.reasons, answer.messages,
                                                 strict=True)]}
