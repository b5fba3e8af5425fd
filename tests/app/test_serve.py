"""`barenet serve` mistakes that stop it before it serves (src/barenet/app/commands/serve.py);
serving itself is tested in a real browser by test_browser.py."""

import socket

import pytest

from barenet.app.cli import main


def test_busy_port_is_one_line(untrained, capsys):
    path, _ = untrained
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", str(path), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err and "choose another with --port" in err


def test_not_a_model_is_one_line(tmp_path, capsys):
    fake = tmp_path / "model.npz"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    code = main(["serve", str(fake)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and str(fake) in err


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_bad_port_is_refused_by_the_parser(untrained, port, capsys):
    path, _ = untrained
    with pytest.raises(SystemExit) as stop:
        main(["serve", str(path), "--port", port])
    assert stop.value.code == 2
    assert "expected a port number 0-65535" in capsys.readouterr().err
