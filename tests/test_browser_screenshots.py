"""Browser tests leave their screenshots where a reviewer finds them, and never in the source tree."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_screenshots_go_to_a_folder_of_the_run_outside_the_source_tree(screenshots):
    assert screenshots.is_dir()
    assert ROOT not in screenshots.resolve().parents
