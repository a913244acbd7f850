from django.db import models


class FailedAttempt(models.Model):
    """One wrong password: at the login form or when re-entered to sign. Counted over a
    sliding window to lock an account or an address out; pruned once out of the window.
    (The audit trail keeps the permanent record as ``security.*`` events.)"""

    class Kind(models.TextChoices):
        LOGIN = "login"
        SIGNATURE = "signature"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "username", "at"]),
                   models.Index(fields=["kind", "ip", "at"])]

    def __str__(self):
        return f"{self.kind} failure for {self.username} from {self.ip} at {self.at}"
