"""``releasekit check``: a corpus of broken distributions, one defect each, and clean ones."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from releasekit import dists
from releasekit.check import check_files
from tests import distfactory as make
from tests.support import run_releasekit

Builder = Callable[[Path], Path]
LONG_RST = "Title\n=====\n\nSome text.\n\n" * 200


def _drop_row(name: str) -> Callable[[list[list[str]]], None]:
    return lambda rows: rows.__setitem__(slice(None), [r for r in rows if not r[0].endswith(name)])


def _bad_hash(rows: list[list[str]]) -> None:
    rows[0][1] = "sha256=" + "A" * 43


def _bad_size(rows: list[list[str]]) -> None:
    rows[0][2] = "999"


def _extra_row(rows: list[list[str]]) -> None:
    rows.insert(0, ["demo_pkg/ghost.py", "sha256=x", "1"])


def _corrupt_zip(folder: Path) -> Path:
    target = folder / "demo_pkg-1.0.0-py3-none-any.whl"
    target.write_bytes(b"PK\x03\x04 this is not really a zip")
    return target


def _corrupt_member(folder: Path) -> Path:
    """A wheel whose one member's bytes no longer match their CRC (a flipped byte)."""
    payload = b"corrupt me " * 50
    target = make.wheel(folder, files={"demo_pkg/data.txt": payload})
    with zipfile.ZipFile(target) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    raw = target.read_bytes()
    target.write_bytes(raw.replace(payload, payload[:-1] + b"!", 1))
    return target


def _odd_member(folder: Path, method: int, flags: int) -> Path:
    """A wheel whose first member claims a compression ``method`` and ``flags`` it lacks.

    Both the local header (method at offset 8, flags at 6) and the central directory entry
    (method at 10, flags at 8) are patched, as a tool writing such a member would set them.
    """
    target = make.wheel(folder, files={"demo_pkg/data.txt": b"plain data\n" * 20})
    raw = bytearray(target.read_bytes())
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    for start, method_at, flags_at in ((local, 8, 6), (central, 10, 8)):
        raw[start + method_at : start + method_at + 2] = method.to_bytes(2, "little")
        old = int.from_bytes(raw[start + flags_at : start + flags_at + 2], "little")
        raw[start + flags_at : start + flags_at + 2] = (old | flags).to_bytes(2, "little")
    target.write_bytes(bytes(raw))
    return target


def _corrupt_gzip(folder: Path) -> Path:
    target = folder / "demo_pkg-1.0.0.tar.gz"
    target.write_bytes(b"\x1f\x8b\x08 broken gzip")
    return target


# (defect, builder, expected code). Each builder makes a file with exactly that defect.
CORPUS: list[tuple[str, Builder, str]] = [
    ("wheel not a zip", _corrupt_zip, "archive-corrupt"),
    ("wheel member fails its CRC", _corrupt_member, "archive-corrupt"),
    ("sdist not a gzip tar", _corrupt_gzip, "archive-corrupt"),
    ("wheel member in zstd", lambda d: _odd_member(d, 93, 0), "archive-corrupt"),  # no traceback
    ("wheel member encrypted", lambda d: _odd_member(d, 8, 1), "archive-corrupt"),
    (
        "RECORD missing",
        lambda d: make.wheel(d, omit=["demo_pkg-1.0.0.dist-info/RECORD"]),
        "wheel-record-missing",
    ),
    ("RECORD hash wrong", lambda d: make.wheel(d, edit_record=_bad_hash), "wheel-record-hash"),
    ("RECORD size wrong", lambda d: make.wheel(d, edit_record=_bad_size), "wheel-record-size"),
    (
        "file not in RECORD",
        lambda d: make.wheel(d, unlisted={"demo_pkg/extra.py": b"x = 1\n"}),
        "wheel-record-unlisted",
    ),
    (
        "RECORD lists a missing file",
        lambda d: make.wheel(d, edit_record=_extra_row),
        "wheel-record-extra",
    ),
    (
        "wheel path escapes",
        lambda d: make.wheel(d, unlisted={"../evil.py": b""}, edit_record=None),
        "path-escapes",
    ),
    (
        "sdist symlink escapes",
        lambda d: make.sdist(d, link=("demo_pkg-1.0.0/link", "../../etc/passwd")),
        "path-escapes",
    ),
    (
        "two .dist-info folders",
        lambda d: make.wheel(d, unlisted={"other-1.0.dist-info/METADATA": b""}),
        "wheel-dist-info",
    ),
    (
        "METADATA missing",
        lambda d: make.wheel(d, omit=["demo_pkg-1.0.0.dist-info/METADATA"]),
        "metadata-missing",
    ),
    (
        "sdist two top-level folders",
        lambda d: make.sdist(d, extra={"stray/file.txt": b"x"}),
        "sdist-top-level",
    ),
    (
        "sdist without PKG-INFO",
        lambda d: make.sdist(d, omit=["demo_pkg-1.0.0/PKG-INFO"]),
        "metadata-missing",
    ),
    ("sdist as zip", lambda d: make.wheel(d, filename="demo_pkg-1.0.0.zip"), "sdist-format"),
    (
        "wheel name not normalized",
        lambda d: make.wheel(d, filename="Demo_Pkg-1.0.0-py3-none-any.whl"),
        "filename-not-normalized",
    ),
    (
        "sdist name not PEP 625",
        lambda d: make.sdist(d, filename="demo-pkg-1.0.0.tar.gz"),
        "filename-not-normalized",
    ),
    (
        "invalid wheel file name",
        lambda d: make.wheel(d, filename="demo_pkg.whl"),
        "filename-invalid",
    ),
    (
        "file name version differs",
        lambda d: make.wheel(d, filename="demo_pkg-1.0.1-py3-none-any.whl"),
        "filename-version-mismatch",
    ),
    (
        "file name project differs",
        lambda d: make.wheel(d, filename="other_pkg-1.0.0-py3-none-any.whl"),
        "filename-name-mismatch",
    ),
    (
        "linux_x86_64 platform tag",
        lambda d: make.wheel(d, tags="cp311-cp311-linux_x86_64"),
        "wheel-platform-tag",
    ),
    (
        "Metadata-Version 3.0",
        lambda d: make.wheel(d, fields=make.with_fields(set_={"Metadata-Version": "3.0"})),
        "metadata-version-unsupported",
    ),
    (
        "Metadata-Version 2.7 (newer)",
        lambda d: make.wheel(d, fields=make.with_fields(set_={"Metadata-Version": "2.7"})),
        "metadata-version-newer",
    ),
    (
        "invalid name",
        lambda d: make.wheel(d, fields=make.with_fields(set_={"Name": "-bad name-"})),
        "name-invalid",
    ),
    (
        "invalid version",
        lambda d: make.wheel(d, fields=make.with_fields(set_={"Version": "one"})),
        "version-invalid",
    ),
    (
        "summary too long",
        lambda d: make.wheel(d, fields=make.with_fields(set_={"Summary": "x" * 513})),
        "summary-too-long",
    ),
    (
        "URL label too long",
        lambda d: make.wheel(
            d, fields=make.with_fields(add=[("Project-URL", "L" * 33 + ", https://x.org")])
        ),
        "project-url-label-too-long",
    ),
    (
        "unknown classifier",
        lambda d: make.wheel(
            d, fields=make.with_fields(add=[("Classifier", "Made Up :: Classifier")])
        ),
        "classifier-unknown",
    ),
    (
        "deprecated classifier",
        lambda d: make.wheel(
            d, fields=make.with_fields(add=[("Classifier", "Framework :: Django CMS :: 4.2")])
        ),
        "classifier-deprecated",
    ),
    (
        "local version",
        lambda d: make.wheel(
            d,
            filename="demo_pkg-1.0.0+local-py3-none-any.whl",
            fields=make.with_fields(set_={"Version": "1.0.0+local"}),
        ),
        "local-version",
    ),
    (
        "direct URL requirement",
        lambda d: make.wheel(
            d, fields=make.with_fields(add=[("Requires-Dist", "dep @ https://example.org/dep.whl")])
        ),
        "direct-url-requirement",
    ),
    (
        "invalid requirement",
        lambda d: make.wheel(d, fields=make.with_fields(add=[("Requires-Dist", "dep >>> 1")])),
        "requires-dist-invalid",
    ),
    (
        "License with License-Expression",
        lambda d: make.wheel(d, fields=make.with_fields(add=[("License", "MIT")])),
        "license-with-expression",
    ),
    (
        "invalid SPDX expression",
        lambda d: make.wheel(
            d, fields=make.with_fields(set_={"License-Expression": "MIT OR Nonsense-1.0"})
        ),
        "license-expression-invalid",
    ),
    (
        "License-Expression needs 2.4",
        lambda d: make.wheel(d, fields=make.with_fields(set_={"Metadata-Version": "2.1"})),
        "license-expression-needs-2.4",
    ),
    (
        "License-File not in archive",
        lambda d: make.wheel(d, omit=["demo_pkg-1.0.0.dist-info/licenses/LICENSE"]),
        "license-file-missing",
    ),
    (
        "sdist License-File missing",
        lambda d: make.sdist(d, omit=["demo_pkg-1.0.0/LICENSE"]),
        "license-file-missing",
    ),
    (
        "broken reStructuredText",
        lambda d: make.wheel(
            d,
            fields=make.with_fields(set_={"Description-Content-Type": "text/x-rst"}),
            body="Title\n=====\n\n`broken link <\n",
        ),
        "readme-invalid",
    ),
    ("no long description", lambda d: make.wheel(d, body=""), "readme-missing"),
    (
        "no content type",
        lambda d: make.wheel(
            d, fields=make.with_fields(drop=["Description-Content-Type"]), body=LONG_RST
        ),
        "readme-content-type-missing",
    ),
    (
        "Metadata-Version missing",
        lambda d: make.wheel(d, fields=make.with_fields(drop=["Metadata-Version"])),
        "metadata-invalid",
    ),
    (
        "unrenderable content type",
        lambda d: make.wheel(
            d, fields=make.with_fields(set_={"Description-Content-Type": "text/html"})
        ),
        "content-type-invalid",
    ),
    (
        "unknown Markdown variant",
        lambda d: make.wheel(
            d,
            fields=make.with_fields(
                set_={"Description-Content-Type": "text/markdown; variant=Fancy"}
            ),
        ),
        "content-type-invalid",
    ),
]

# Rules of warehouse's forklift/metadata.py that packaging does not check: (field, value, code).
# The adversarial report's D10 cases first, then the neighbours of each rule.
WAREHOUSE: list[tuple[str, str, str]] = [
    ("Author-email", "not an email at all <foo@@bar>", "email-invalid"),
    ("Author-email", "joe@localhost", "email-invalid"),
    ("Home-page", "not a url with spaces", "url-invalid"),
    ("Project-URL", "Homepage, not a url with spaces", "project-url-invalid"),
    ("Project-URL", "Source, https://example.org/again", "metadata-unparsed"),
    ("X-Made-Up-Field", "value", "metadata-unparsed"),
    ("Project-URL", ", https://example.org", "project-url-label-empty"),
    ("Provides-Dist", "foo @ https://example.org/foo.zip", "direct-url-requirement"),
    ("Provides-Dist", "??? not a requirement", "provides-dist-invalid"),
    ("Obsoletes-Dist", "!!bad", "obsoletes-dist-invalid"),
    ("Classifier", "Private :: Do Not Upload", "classifier-private"),
    ("Maintainer-email", "Jane Doe", "email-invalid"),
    ("Maintainer-email", "jane@example..org", "email-invalid"),
    ("Author-email", "jane@mail.test", "email-invalid"),
    ("Author-email", "a@x.org, broken@", "email-invalid"),
    ("Download-URL", "ftp://example.org/demo.tar.gz", "url-invalid"),
    ("Home-page", "example.org", "url-invalid"),
    ("Project-URL", "Docs, javascript:alert(1)", "project-url-invalid"),
    ("Download-URL", "https://example.org:99999/demo.tar.gz", "url-invalid"),
    ("Obsoletes-Dist", "old-demo @ file:///tmp/old.whl", "direct-url-requirement"),
]
CORPUS += [
    (
        f"{field}: {value}",
        lambda d, field=field, value=value: make.wheel(  # type: ignore[misc]
            d, fields=make.with_fields(add=[(field, value)])
        ),
        code,
    )
    for field, value, code in WAREHOUSE
]


@pytest.mark.parametrize(
    ("field", "value", "code"), WAREHOUSE, ids=[f"{f}: {v}" for f, v, _ in WAREHOUSE]
)
def test_warehouse_rule_is_one_error_naming_field_and_value(
    tmp_path: Path, field: str, value: str, code: str
) -> None:
    """Each value warehouse refuses is exactly one error, whose one line names field and value."""
    path = make.wheel(tmp_path, fields=make.with_fields(add=[(field, value)]))
    findings = check_files([path])
    assert [(code, "error")] == [(f.code, f.severity) for f in findings]
    message = findings[0].message
    assert "\n" not in message
    assert field in message
    shown = value.split(",", 1)[1].strip() if field == "Project-URL" else value
    assert shown in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Author-email", "jane@example.org"),
        ("Author-email", "Jane Doe <jane@example.org>"),
        ("Author-email", '"Doe, Jane" <jane@example.org>, Bob <bob@mail.example.co.uk>'),
        ("Maintainer-email", "jürgen@bücher.example"),
        ("Home-page", "https://example.org/demo?x=1#top"),
        ("Download-URL", "http://example.org:8080/demo-1.0.0.tar.gz"),
        ("Project-URL", "Issue Tracker, https://example.org/demo/issues?q=is%3Aopen"),
        ("Provides-Dist", "demo_compat (>=1.0)"),
        ("Obsoletes-Dist", "old-demo; python_version < '3.8'"),
        ("Classifier", "Development Status :: 5 - Production/Stable"),
        ("Home-page", "UNKNOWN"),
        ("Home-page", "https://example.org/a path with spaces"),
        ("Project-URL", "Mirror, http://[::1]:8080/demo"),
        ("Author-email", "Jane Doe <jane@example.org>, "),
        ("Maintainer-email", ""),
        ("Author-email", "UNKNOWN"),
    ],
)
def test_valid_values_pass_warehouse_rules(tmp_path: Path, field: str, value: str) -> None:
    """Common valid forms of the same fields give no finding (no false positives)."""
    path = make.wheel(tmp_path, fields=make.with_fields(add=[(field, value)]))
    assert [] == check_files([path])


@pytest.mark.parametrize(("defect", "build", "code"), CORPUS, ids=[c[0] for c in CORPUS])
def test_each_defect_is_found(tmp_path: Path, defect: str, build: Builder, code: str) -> None:
    """Each broken distribution produces its expected finding code."""
    path = build(tmp_path)
    codes = [f.code for f in check_files([path])]
    assert code in codes, f"{defect}: got {codes}"


def test_corpus_is_large_enough() -> None:
    """The corpus covers at least 25 different kinds of defect."""
    assert len({code for _, _, code in CORPUS}) >= 25


def test_clean_wheel_and_sdist_have_no_findings(tmp_path: Path) -> None:
    """A correct wheel and sdist pass with no errors and no warnings."""
    assert [] == check_files([make.wheel(tmp_path), make.sdist(tmp_path)])


def test_rst_error_names_the_line(tmp_path: Path) -> None:
    """A reStructuredText failure says on which line the description breaks."""
    body = "Title\n=====\n\nFine.\n\n`broken <\n"
    fields = make.with_fields(set_={"Description-Content-Type": "text/x-rst"})
    findings = check_files([make.wheel(tmp_path, fields=fields, body=body)])
    assert ["readme-invalid"] == [f.code for f in findings]
    assert "line 6:" in findings[0].message


def test_several_broken_descriptions_each_reported(tmp_path: Path) -> None:
    """Distinct descriptions (rendered in parallel) each get their own finding and line."""
    fields = make.with_fields(set_={"Description-Content-Type": "text/x-rst"})
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.mkdir()
    second.mkdir()
    paths = [
        make.wheel(first, fields=fields, body="Fine.\n\n`broken <\n"),
        make.wheel(second, fields=fields, body="Fine.\n\nMore.\n\nStill fine.\n\n`broken <\n"),
        make.sdist(tmp_path, fields=fields, body="All good here.\n"),
    ]
    found = [
        (f.code, f.message.rsplit(": ", 1)[0]) for f in check_files(paths) if f.file != "(batch)"
    ]
    assert [
        ("readme-invalid", "the description does not render as reStructuredText: line 3"),
        ("readme-invalid", "the description does not render as reStructuredText: line 7"),
    ] == found


def test_batch_consistency(tmp_path: Path) -> None:
    """Files of two versions, two projects and two sdists in one batch are all reported."""
    other = tmp_path / "other"
    other.mkdir()
    paths = [
        make.wheel(tmp_path),
        make.sdist(tmp_path),
        make.sdist(
            other,
            fields=make.with_fields(set_={"Name": "other-pkg", "Version": "2.0"}),
            filename="other_pkg-2.0.tar.gz",
            top="other_pkg-2.0",
            extra={"other_pkg-2.0/LICENSE": b"MIT\n"},
        ),
    ]
    codes = {f.code for f in check_files(paths) if f.file == "(batch)"}
    assert {"batch-names", "batch-versions", "batch-sdists"} == codes


def test_all_problems_of_a_file_reported_at_once(tmp_path: Path) -> None:
    """A file with several defects gets every finding in one run."""
    fields = make.with_fields(
        set_={"Summary": "s" * 600},
        add=[("Classifier", "Nope :: Nope"), ("License", "MIT")],
    )
    codes = [f.code for f in check_files([make.wheel(tmp_path, fields=fields)])]
    assert {"summary-too-long", "classifier-unknown", "license-with-expression"} <= set(codes)


def test_cli_report_and_exit_codes(tmp_path: Path) -> None:
    """The CLI groups findings per file, exits 1 on errors and 0 on warnings only."""
    dist = tmp_path / "dist"
    dist.mkdir()
    make.wheel(dist, fields=make.with_fields(add=[("Classifier", "Nope :: Nope")]))
    result = run_releasekit(tmp_path, "check")
    assert 1 == result.returncode
    assert result.stdout.startswith("demo_pkg-1.0.0-py3-none-any.whl\n  error classifier-unknown:")
    assert result.stdout.endswith(
        "1 error(s), 0 warning(s) in 1 file(s)\n"
        "Next: fix the errors, rebuild (releasekit build) and check again.\n"
    )
    warned = tmp_path / "warned"
    warned.mkdir()
    make.wheel(warned, body="")
    result = run_releasekit(tmp_path, "check", "warned/*")
    assert 0 == result.returncode
    assert "warning readme-missing" in result.stdout


def test_cli_json_report(tmp_path: Path) -> None:
    """--json prints id, severity, file, line, message and hint for every finding."""
    path = make.wheel(tmp_path, fields=make.with_fields(set_={"Summary": "x" * 600}))
    result = run_releasekit(tmp_path, "check", "--json", str(path))
    report = json.loads(result.stdout)
    assert 1 == result.returncode
    assert {"errors": 1, "warnings": 0} == {k: report[k] for k in ("errors", "warnings")}
    assert [
        {
            "id": "summary-too-long",
            "severity": "error",
            "file": path.name,
            "line": None,
            "message": "summary has 600 characters, PyPI allows 512",
            "hint": None,
        }
    ] == report["findings"]


def test_cli_no_distributions(tmp_path: Path) -> None:
    """With nothing to check, the error says to build first (exit 2)."""
    result = run_releasekit(tmp_path, "check")
    assert 2 == result.returncode
    assert result.stderr.startswith("error: ")
    assert "build them first" in result.stderr


def test_file_over_100_mib_is_warned(tmp_path: Path) -> None:
    """A file over PyPI's default size limit gets a warning with the limit-increase link."""
    small = make.wheel(tmp_path)
    data = small.read_bytes()
    big = tmp_path / "big" / small.name
    big.parent.mkdir()
    with big.open("wb") as handle:  # a sparse hole, then a valid zip: readers find it at the end
        handle.seek(101 * 1024 * 1024)
        handle.write(data)
    findings = check_files([big])
    assert [("file-too-large", "warning")] == [(f.code, f.severity) for f in findings]
    assert "storage-limits" in (findings[0].hint or "")


def test_large_batch_opened_in_parallel_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch opened in worker processes gets the same findings, in order, CRC errors included."""
    folders = [tmp_path / name for name in ("a", "b", "c")]
    for folder in folders:
        folder.mkdir()
    paths = [
        make.wheel(folders[0], tags="cp312-cp312-win_amd64"),
        _corrupt_member(folders[1]),
        make.wheel(folders[2], tags="cp313-cp313-win_amd64"),
    ]
    one_by_one = check_files(paths)
    monkeypatch.setattr(dists, "PARALLEL_BYTES", 0)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    in_parallel = check_files(paths)
    assert one_by_one == in_parallel
    assert ["archive-corrupt"] == [f.code for f in in_parallel if f.severity == "error"]


def test_a_folder_in_dist_is_left_out_and_named_with_v(tmp_path: Path) -> None:
    """dist/old/ and a folder called x.whl are not distributions: dist/* checks the files."""
    (tmp_path / "dist" / "old").mkdir(parents=True)
    wheel = make.wheel(tmp_path / "dist")
    (tmp_path / "dist" / "x.whl").mkdir()
    run = run_releasekit(tmp_path, "-v", "check")
    assert 0 == run.returncode, run.stderr
    assert "0 error(s), 0 warning(s) in 1 file(s)" in run.stdout
    assert f"checking {wheel}" in run.stderr
    assert "skipping dist/old/: a directory, not a distribution file" in run.stderr
    assert "skipping dist/x.whl/: a directory, not a distribution file" in run.stderr
    assert "no such file" not in run.stderr


def test_a_folder_named_on_the_command_line_is_one_line_exit_2(tmp_path: Path) -> None:
    """Naming a folder is a usage error that says it is a folder (not "no such file")."""
    (tmp_path / "dist" / "x.whl").mkdir(parents=True)
    make.wheel(tmp_path / "dist")
    run = run_releasekit(tmp_path, "check", "dist/x.whl")
    assert 2 == run.returncode
    assert [
        "error: dist/x.whl is a directory, not a distribution file; name the files in it "
        "(dist/x.whl/*) or build first: releasekit build"
    ] == run.stderr.splitlines()


def test_only_folders_in_dist_is_no_distributions(tmp_path: Path) -> None:
    """A dist/ holding only folders has no distributions: build first (exit 2)."""
    (tmp_path / "dist" / "old").mkdir(parents=True)
    run = run_releasekit(tmp_path, "check")
    assert 2 == run.returncode
    assert "error: dist/*: no distributions found; build them first" in run.stderr
