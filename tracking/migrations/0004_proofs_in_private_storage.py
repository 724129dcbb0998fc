"""Proof files move out of MEDIA_ROOT into private storage, where no URL reaches them.

Files already stored under MEDIA_ROOT keep their names and move across, so existing proofs show on the
tracking page and in care through the views that check who asks.
"""

from django.core.files.storage import default_storage, storages
from django.db import migrations, models

import tracking.models


def move_proof_files(apps, schema_editor):
    proofs = apps.get_model("tracking", "ProofOfDelivery").objects.exclude(photo="", signature="")
    private = storages["proofs"]
    for photo, signature in proofs.values_list("photo", "signature").iterator():
        for name in (photo, signature):
            if not name or not default_storage.exists(name) or private.exists(name):
                continue
            with default_storage.open(name, "rb") as file:
                saved = private.save(name, file)
            if saved != name:
                raise RuntimeError(f"proof file {name} was stored as {saved}: its row would lose it")
            default_storage.delete(name)


class Migration(migrations.Migration):

    dependencies = [
        ("tracking", "0003_carrier_binding"),
    ]

    operations = [
        migrations.AlterField(
            model_name="proofofdelivery",
            name="photo",
            field=models.FileField(blank=True, storage=tracking.models.proof_storage, upload_to="pod/photos/"),
        ),
        migrations.AlterField(
            model_name="proofofdelivery",
            name="signature",
            field=models.FileField(blank=True, storage=tracking.models.proof_storage, upload_to="pod/signatures/"),
        ),
        # Moving back would publish them again: going back leaves them where they are.
        migrations.RunPython(move_proof_files, migrations.RunPython.noop),
    ]
