import django.core.validators
import merchants.brand
import merchants.logos
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('merchants', '0003_webhook_health_support_contact_public_key'),
    ]

    operations = [
        migrations.AlterField(
            model_name='merchant',
            name='languages',
            field=models.JSONField(default=list, help_text='Language codes the brand speaks, first is default, e.g. ["fr", "en"].', validators=[merchants.brand.validate_languages]),
        ),
        migrations.AlterField(
            model_name='merchant',
            name='logo',
            field=models.FileField(blank=True, help_text='PNG, JPEG or WebP, at most 512 KB.', upload_to='logos/', validators=[merchants.logos.validate_logo]),
        ),
        migrations.AlterField(
            model_name='merchant',
            name='logo_url',
            field=models.URLField(blank=True, help_text='Used when no logo file is uploaded.', validators=[django.core.validators.URLValidator(schemes=['https'])]),
        ),
        migrations.AlterField(
            model_name='merchant',
            name='sms_sender',
            field=models.CharField(blank=True, help_text='Alphanumeric sender id or E.164 number.', max_length=16, validators=[merchants.brand.validate_sms_sender]),
        ),
    ]
