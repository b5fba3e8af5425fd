"""The web app's API and page, through FastAPI's test client (src/barenet/app/web.py)."""

import io
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from barenet.app.preprocess import preprocess_image
from barenet.app.web import MAX_BODY, STATIC, Prediction, create_app

from ._drawing import draw_digit, draw_number, png_header_only


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


SEVEN = png(draw_digit("7"))


LIMIT = 1_000_000
"""The tests' upload limit (the default, MAX_BODY, is 20 MB: tested once, by Content-Length)."""


@pytest.fixture(scope="module")
def client(untrained):
    _, model = untrained
    with TestClient(create_app(model, model_name="untrained.npz", max_body=LIMIT)) as c:
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
    assert set(data) == {"digit", "label", "probabilities", "image", "warning", "warnings"}
    assert response.headers["content-type"] == "application/json"
    # Serialised by hand (not by FastAPI): it must still be what /docs says it is.
    Prediction.model_validate(data, strict=True)
    assert np.array(data["image"]).shape == (28, 28)
    assert data["digit"] == int(np.argmax(data["probabilities"]))


def test_default_limit_takes_phone_photos_and_refuses_more_by_content_length(untrained):
    _, model = untrained
    assert MAX_BODY == 20_000_000
    with TestClient(create_app(model)) as default:
        headers = {"Content-Type": "image/jpeg", "Content-Length": str(MAX_BODY + 1)}
        response = default.post("/api/predict", content=b"\0", headers=headers)
    assert response.status_code == 413
    assert "20,000,000 bytes" in response.json()["detail"]


def test_body_over_the_limit_by_content_length_is_413(client):
    body = SEVEN + b"\0" * (LIMIT + 1 - len(SEVEN))
    response = post(client, body)
    assert response.status_code == 413
    assert "1,000,000 bytes" in response.json()["detail"]
    assert_still_serving(client)


def test_body_over_the_limit_streamed_without_content_length_is_413(client):
    def chunks():
        for _ in range(40):  # 40 × 64 KiB = 2.6 MB, sent chunked
            yield b"\0" * 65536

    response = post(client, chunks())
    assert response.status_code == 413
    assert "1,000,000 bytes" in response.json()["detail"]
    assert_still_serving(client)


def test_exactly_at_the_limit_is_read(client):
    # At the limit the body is read and judged as an image (this one is not decodable).
    response = post(client, b"\0" * LIMIT)
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


def test_multipart_form_with_a_file_field_like_curl_f(client):
    buffer = io.BytesIO()
    draw_digit("7").convert("RGB").save(buffer, "JPEG")
    files = {"file": ("seven.jpg", buffer.getvalue(), "image/jpeg")}
    response = client.post("/api/predict", files=files)
    assert response.status_code == 200, response.text
    raw = post(client, buffer.getvalue(), content_type="image/jpeg").json()
    assert response.json()["probabilities"] == raw["probabilities"]
    assert response.json()["image"] == raw["image"]


def test_multipart_with_any_field_name_and_octet_stream(client):
    files = {"photo": ("IMG_0001", SEVEN, "application/octet-stream")}
    response = client.post("/api/predict", files=files)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "files,data,status,message",
    [
        (None, {"note": "no file here"}, 422, "no file field"),
        ({"file": ("notes.txt", b"hello", "text/plain")}, None, 415, "not an image type"),
        ({"file": ("empty.png", b"", "image/png")}, None, 422, "empty"),
        ({"file": ("text.png", b"not a png at all", "image/png")}, None, 422, "not an image"),
    ],
    ids=["no-file", "text-part", "empty-part", "garbage-part"],
)
def test_multipart_mistakes_are_clear(client, files, data, status, message):
    if files is None:
        response = client.post(
            "/api/predict",
            content=b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--b--\r\n',
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
    else:
        response = client.post("/api/predict", files=files, data=data)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert_still_serving(client)


def test_multipart_over_the_limit_is_413(client):
    files = {"file": ("big.png", SEVEN + b"\0" * LIMIT, "image/png")}
    response = client.post("/api/predict", files=files)
    assert response.status_code == 413
    assert_still_serving(client)


def test_a_photo_of_42_gets_the_best_guess_and_a_warning(client):
    response = post(client, png(draw_number("42")))
    assert response.status_code == 200
    data = response.json()
    assert data["warning"].startswith("probably not a single digit")
    assert any("more than one digit" in w for w in data["warnings"])
    assert data["digit"] == int(np.argmax(data["probabilities"]))
