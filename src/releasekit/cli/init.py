"""``releasekit init``: write the publish workflow, the guide and the release script.

Files init wrote before are replaced only with ``--force``, and a changelog never is. A repository
that already publishes gets no second publisher unless ``--name`` says where to write it.
"""

from __future__ import annotations

from typing import Literal

import click

from releasekit.cli import Context


@click.command(
    epilog="""\b
Examples:
  releasekit init                      GitHub Actions, pypa/gh-action-pypi-publish
  releasekit init --testpypi           TestPyPI first, then PyPI
  releasekit init --ci gitlab          a GitLab CI pipeline instead
  releasekit init --force              rewrite the files init wrote before
  releasekit init --name release-releasekit.yml
                                       write beside an existing publishing workflow"""
)
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab"]),
    default="github",
    show_default=True,
    help="Which CI the publish workflow is for.",
)
@click.option(
    "--environment",
    metavar="NAME",
    default="pypi",
    show_default=True,
    help="The protected environment the PyPI job runs in.",
)
@click.option("--testpypi", is_flag=True, help="Publish to TestPyPI first (and on manual runs).")
@click.option(
    "--publisher",
    type=click.Choice(["action", "releasekit"]),
    default="action",
    show_default=True,
    help="Upload with pypa/gh-action-pypi-publish or with releasekit publish.",
)
@click.option("--dependabot", is_flag=True, help="Also write .github/dependabot.yml for actions.")
@click.option(
    "--name",
    metavar="FILE",
    default=None,
    help="The workflow file's name (default publish.yml; GitLab: publish.gitlab-ci.yml), "
    "to write it beside a workflow that already publishes.",
)
@click.option("--force", is_flag=True, help="Replace files init wrote before (never a changelog).")
@click.pass_obj
def init(
    obj: Context,
    ci: Literal["github", "gitlab"],
    environment: str,
    testpypi: bool,
    publisher: Literal["action", "releasekit"],
    dependabot: bool,
    name: str | None,
    force: bool,
) -> None:
    """Write a least-privilege publish workflow, a publishing guide and a release script."""
    from releasekit.scaffold import InitOptions
    from releasekit.scaffold import init as run_init

    options = InitOptions(
        ci=ci,
        environment=environment,
        testpypi=testpypi,
        publisher=publisher,
        dependabot=dependabot,
        force=force,
        name=name,
    )
    result = run_init(obj.root, options)
    console = obj.console
    facts = result.facts
    if facts.compiled:
        builder = "PyO3/maturin-action" if facts.builder == "maturin" else "cibuildwheel"
        console.info(f"Compiled extensions ({facts.compiled}): wheels built with {builder}")
    if facts.tag_versioned:
        console.info(
            f"Version from git tags ({facts.tag_versioned}): the build checks out the whole history"
        )
    if not facts.tests.exists:
        console.info("No tests found (tests/, testing/, test/, pytest testpaths): no test job")
    for job in result.existing:
        console.info(
            f"Already publishing: job '{job.job}' in {job.workflow}; "
            "the guide explains how to retire it"
        )
    for path in result.written:
        console.print(f"Wrote {path}")
    for path, why in result.skipped:
        console.print(f"Skipped {path}: {why}")
    console.print("Next steps:")
    for number, text in enumerate(result.next_steps, start=1):
        console.print(f"  {number}. {text}")
