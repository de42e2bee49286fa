"""The study's HTML page."""


def test_study_report(serial_study, tmp_path):
    from reports.study import write_study_report

    index = write_study_report(serial_study, tmp_path / "report")
    html = index.read_text()
    for name in ("coverage", "accuracy", "sbc"):
        assert f'id="{name}"' in html
        assert (index.parent / f"{name}.png").stat().st_size > 5000
