"""The web app's API and page, through FastAPI's test client (src/barenet/app/web.py)."""

import io
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from barenet.app.preprocess import preprocess_image
from barenet.app.web import MAX_BODY, STATIC, create_app

from ._drawing import draw_digit, png_header_only


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


SEVEN = png(draw_digit("7"))


@pytest.fixture(scope="module")
def client(untrained):
    _, model = untrained
    with TestClient(create_app(model, model_name="untrained.npz")) as c:
        yield c


def post(client, body, content_type="image/png", **kwargs):
    headers = {} if content_type is None else {"Content-Type": content_type}
    return client.post("/api/predict", content=body, headers=headers, **kwargs)


def assert_still_serving(client):
    response = post(client, SEVEN)
    assert response.status_code == 200, response.text


@pytest.mark.mnist
@pytest.mark.parametrize("kind", ["0", "1", "7"])
def test_predict_reads_a_drawn_digit(trained, kind):
    with TestClient(create_app(trained.model, model_name="model.npz")) as client:
        body = png(draw_digit(kind))
        response = post(client, body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["digit"] == int(kind) and data["label"] == kind
    assert len(data["probabilities"]) == 10
    assert sum(data["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    # The image is the preprocessed input, and the probabilities are the model's on it.
    expected = preprocess_image(body)
    np.testing.assert_allclose(np.array(data["image"]), expected, atol=1e-4)
    np.testing.assert_allclose(
        data["probabilities"], trained.model.predict_proba(expected.reshape(1, 784))[0], atol=1e-6
    )


def test_predict_returns_the_documented_shape(client):
    response = post(client, SEVEN)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"digit", "label", "probabilities", "image"}
    assert np.array(data["image"]).shape == (28, 28)
    assert data["digit"] == int(np.argmax(data["probabilities"]))


def test_body_over_1_mb_by_content_length_is_413(client):
    body = SEVEN + b"\0" * (MAX_BODY + 1 - len(SEVEN))
    response = post(client, body)
    assert response.status_code == 413
    assert "1,000,000 bytes" in response.json()["detail"]
    assert_still_serving(client)


def test_body_over_1_mb_streamed_without_content_length_is_413(client):
    def chunks():
        for _ in range(40):  # 40 × 64 KiB = 2.6 MB, sent chunked
            yield b"\0" * 65536

    response = post(client, chunks())
    assert response.status_code == 413
    assert "1,000,000 bytes" in response.json()["detail"]
    assert_still_serving(client)


def test_exactly_1_mb_is_read(client):
    # At the limit the body is read and judged as an image (this one is not decodable).
    response = post(client, b"\0" * MAX_BODY)
    assert response.status_code == 422


def test_image_with_too_many_pixels_is_413(client):
    response = post(client, png_header_only(10_000, 6_000))
    assert response.status_code == 413
    assert "pixels" in response.json()["detail"]
    assert_still_serving(client)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/octet-stream", None]
)
def test_content_type_that_is_not_an_image_is_415(client, content_type):
    response = post(client, SEVEN, content_type=content_type)
    assert response.status_code == 415
    assert "image/png" in response.json()["detail"]
    assert_still_serving(client)


@pytest.mark.parametrize(
    "body,message",
    [
        (b"definitely not a png", "not an image"),
        (SEVEN[:200], "cannot be decoded"),
        (png(Image.new("L", (280, 280), 255)), "blank"),
        (b"", "empty"),
    ],
    ids=["garbage", "truncated", "blank", "empty"],
)
def test_undecodable_or_blank_image_is_422_with_a_message(client, body, message):
    response = post(client, body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert_still_serving(client)


def test_jpeg_is_accepted_too(client):
    buffer = io.BytesIO()
    draw_digit("7").save(buffer, "JPEG")
    assert post(client, buffer.getvalue(), content_type="image/jpeg").status_code == 200


def test_health(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ok" and data["model"] == "untrained.npz"
    assert data["inputs"] == 784 and data["classes"] == [str(d) for d in range(10)]


def test_openapi_docs(client):
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        # Offline like the drawing page: every script and style comes from this server.
        assets = re.findall(r"""(?:src|href|url)[=:]\s*['"]([^'"]+\.(?:js|css))['"]""", html.text)
        assert assets, html.text
        for asset in assets:
            assert asset.startswith("/"), f"{page} loads {asset} from another host"
            assert client.get(asset).status_code == 200, asset
    spec = client.get("/openapi.json").json()
    predict = spec["paths"]["/api/predict"]["post"]
    assert {"200", "413", "415", "422"} <= set(predict["responses"])
    assert "image/png" in predict["requestBody"]["content"]
    assert "/api/health" in spec["paths"]


def test_page_and_its_files_come_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<canvas id="pad"' in page.text and 'id="clear"' in page.text
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links and all(link.startswith(("/", "data:")) for link in links), links
    for link in (x for x in links if x.startswith("/static/")):
        assert client.get(link).status_code == 200, link
    # No CDN: nothing shipped with the page fetches from another host.
    for path in STATIC.iterdir():
        assert "://" not in path.read_text(), f"{path.name} refers to another host"
