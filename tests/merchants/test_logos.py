"""Uploaded logos are judged by their bytes, and served, in production too, only as the images they are."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from merchants.logos import LOGO_MAX_BYTES, logo_content_type, validate_logo
from tests.merchants.images import FAKE_PNG, SVG, png

ROOT = Path(__file__).resolve().parents[2]


def upload(content: bytes, name: str = "logo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_png_is_recognised_by_its_signature():
    assert logo_content_type(png()[:16]) == "image/png"


def test_jpeg_and_webp_made_by_an_imaging_library_are_recognised():
    image = pytest.importorskip("PIL.Image")
    import io

    for fmt, expected in (("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        buffer = io.BytesIO()
        image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, fmt)
        assert logo_content_type(buffer.getvalue()[:16]) == expected


@pytest.mark.parametrize("content", [SVG, FAKE_PNG, b"GIF89a\x01\x00\x01\x00", b"", b"\x89PNG\r\n\x1a\n"],
                         ids=["svg", "html-named-png", "gif", "empty", "png-signature-alone"])
def test_anything_else_is_not_a_logo(content):
    assert logo_content_type(content[:16]) is None
    with pytest.raises(ValidationError, match="not a PNG, JPEG or WebP image"):
        validate_logo(upload(content or b"\x00", name="logo.png"))


def test_a_logo_over_the_size_limit_is_refused_with_its_size():
    big = png(padding=LOGO_MAX_BYTES)

    with pytest.raises(ValidationError, match="at most 512 KB"):
        validate_logo(upload(big))


@pytest.fixture
def logos(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    return tmp_path / "logos"


def test_a_stored_logo_is_served_as_its_real_type_with_nosniff_and_a_cache_header(client, logos):
    (logos / "fresh-basket-1a2b.png").write_bytes(png())

    response = client.get("/media/logos/fresh-basket-1a2b.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == png()


def test_a_file_that_is_not_an_image_is_not_served_even_under_an_image_name(client, logos):
    (logos / "old.svg").write_bytes(SVG)
    (logos / "sneaky.png").write_bytes(FAKE_PNG)

    assert client.get("/media/logos/old.svg").status_code == 404
    assert client.get("/media/logos/sneaky.png").status_code == 404


def test_nothing_outside_the_logos_folder_is_served(client, logos):
    (logos.parent / "private.png").write_bytes(png())

    for path in ("/media/logos/../private.png", "/media/logos/%2e%2e/private.png", "/media/logos/..%2fprivate.png",
                 "/media/private.png", "/media/logos/missing.png"):
        assert client.get(path).status_code == 404, path


def test_production_settings_serve_logos(tmp_path):
    """With DJANGO_ENV=production (DEBUG off, so no development media view) a logo still answers."""
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "shop-9f.png").write_bytes(png())
    code = ("import django; django.setup(); from django.test import Client; "
            "r = Client().get('/media/logos/shop-9f.png', secure=True, HTTP_HOST='portal.example.com'); "
            "print(r.status_code, r['Content-Type'], r['X-Content-Type-Options'], r['Cache-Control'], sep='|')")
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env |= {"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_ENV": "production", "SECRET_KEY": "s" * 60,
            "ALLOWED_HOSTS": "portal.example.com", "MEDIA_ROOT": str(tmp_path)}

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200|image/png|nosniff|public, max-age=86400"
