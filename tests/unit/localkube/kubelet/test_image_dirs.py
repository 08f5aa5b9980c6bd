from pathlib import Path

from localkube.kubelet.runtime import image_dirs_under


def test_a_checkout_under_tmp_is_mounted_back_once(tmp_path: Path) -> None:
    private = str(tmp_path)
    venv = tmp_path / "repo" / ".venv"
    src = tmp_path / "repo" / "src"
    (venv / "lib").mkdir(parents=True)
    src.mkdir()
    dirs = image_dirs_under((private,), (str(venv), str(venv / "lib"), str(src), "/usr/lib/python3.11"))
    assert dirs == sorted([str(src), str(venv)])


def test_an_image_outside_private_dirs_needs_nothing(tmp_path: Path) -> None:
    assert image_dirs_under((str(tmp_path / "tmp"),), ("/usr/lib/python3.11", "/root")) == []
