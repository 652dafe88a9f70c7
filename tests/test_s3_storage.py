"""Uploaded documents on S3-compatible storage, against a real S3 server on loopback (moto's
server mode, started by the test as its own process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from nextpractice.reviews import filetypes
from nextpractice.reviews import services as review_services

from .conftest import Cast, client_for, free_port, require_tool
from .test_reviews import pdf_bytes

BUCKET = "np-uploads"
KEYS = {"S3_ACCESS_KEY_ID": "test-access", "S3_SECRET_ACCESS_KEY": "test-secret"}


def moto_available() -> bool:
    try:
        import boto3  # noqa: F401
        import flask  # noqa: F401
        import moto.server  # noqa: F401
        import storages  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[str]:
    """An S3-compatible server on a loopback port, with an empty bucket; yields its URL."""
    require_tool(moto_available(), "moto[server] and django-storages[s3] are not installed")
    port = free_port()
    log = (tmp_path / "moto.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(
                        f"the S3 server did not start: {(tmp_path / 'moto.log').read_text()}"
                    )
                time.sleep(0.2)
        client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )


def objects(endpoint: str) -> dict[str, bytes]:
    s3 = client(endpoint)
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def use_s3(settings: Any, endpoint: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "nextpractice.core.s3storage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": KEYS["S3_ACCESS_KEY_ID"],
                "secret_key": KEYS["S3_SECRET_ACCESS_KEY"],
                "location": "uploads",
            },
        },
    }


def test_the_environment_puts_uploads_in_the_bucket(s3_server: str, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        **KEYS,
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "us-east-1",
        "NEXTPRACTICE_VAR_DIR": str(tmp_path / "var"),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    saved = subprocess.run(
        [
            sys.executable,
            "-m",
            "nextpractice",
            "shell",
            "-c",
            "from django.core.files.base import ContentFile; "
            "from django.core.files.storage import default_storage as s; "
            "print(s.save('reviews/a.pdf', ContentFile(b'%PDF-1.7 one'))); "
            "print(s.save('reviews/a.pdf', ContentFile(b'%PDF-1.7 two')))",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert saved.returncode == 0, saved.stderr
    first, second = saved.stdout.strip().splitlines()[-2:]
    assert first == "reviews/a.pdf" and second != first  # never replaces an object
    assert objects(s3_server) == {
        "uploads/reviews/a.pdf": b"%PDF-1.7 one",
        f"uploads/{second}": b"%PDF-1.7 two",
    }
    assert not (tmp_path / "var" / "uploads").exists()  # nothing on the local disk


def test_a_document_shared_for_feedback_is_stored_and_read_back_through_s3(
    cast: Cast, s3_server: str, settings: Any
) -> None:
    use_s3(settings, s3_server)
    document = pdf_bytes("Our self-evaluation, kept in the bucket")
    review = review_services.create_request(
        cast.cluster,
        cast.alice,
        kind="document",
        title="Our SEF",
        feedback_by=timezone.localdate() + timedelta(days=14),
        focus=[("Is the impact clear?", None)],
        document_kind="sef",
        upload=review_services.CheckedFile(document, "sef.pdf", filetypes.PDF),
    )
    version = review.versions.get()
    stored = objects(s3_server)
    assert list(stored.values()) == [document]
    key = next(iter(stored))
    assert key.startswith("uploads/") and "sef" not in key.lower()  # a random name
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.*"))
    url = f"/reviews/{review.pk}/versions/{version.pk}/download/"
    response = client_for(cast.bob).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client_for(cast.oscar).get(url).status_code == 404  # still only through the view


@pytest.mark.parametrize(
    ("variables", "message"),
    [({"S3_ENDPOINT_URL": "minio.internal:9000"}, "S3_ENDPOINT_URL: expected an http(s)://")],
)
def test_s3_settings_are_parsed_strictly(variables: dict[str, str], message: str) -> None:
    require_tool(moto_available(), "moto[server] and django-storages[s3] are not installed")
    environment = {**os.environ, "S3_BUCKET": BUCKET, **variables}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "nextpractice", "check"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
