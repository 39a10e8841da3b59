"""``hotline transcribe`` refuses an unusable model before touching any file."""


def test_size_name_as_model_exits_2_with_a_clear_message(run_cli, clips):
    result = run_cli("transcribe", str(next(iter(clips))), whisper_model="base")
    assert result.returncode == 2
    assert "size name" in result.stderr and "Traceback" not in result.stderr


def test_folder_without_model_exits_2(run_cli, clips, tmp_path):
    result = run_cli("transcribe", str(next(iter(clips))), whisper_model=str(tmp_path))
    assert result.returncode == 2
    assert "model.bin" in result.stderr and "Traceback" not in result.stderr
