"""The GitHub expression evaluator: GitHub's semantics on known values, soundness on partial ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releasekit.gh_expressions import (
    UNKNOWN,
    ExpressionError,
    Prefix,
    Value,
    condition_truth,
    parse_expression,
)

PUSH_MAIN: dict[str, Value] = {
    "github.event_name": "push",
    "github.event.action": None,
    "github.ref": "refs/heads/main",
    "github.ref_type": "branch",
}
RELEASE: dict[str, Value] = {
    "github.event_name": "release",
    "github.event.action": "published",
    "github.ref": Prefix("refs/tags/"),
    "github.ref_type": "tag",
}


@pytest.mark.parametrize(
    ("condition", "push", "release"),
    [
        ("github.event_name == 'release'", False, True),
        ("${{ github.event_name == 'RELEASE' }}", False, True),  # strings compare without case
        ("startsWith(github.ref, 'refs/tags/')", False, True),
        ("github.ref_type == 'tag' && github.event.action == 'published'", False, True),
        ("!(github.event_name == 'push') || github.ref == 'refs/heads/main'", True, True),
        ("github.event_name != 'push'", False, True),
        ("contains(github.ref, 'heads')", True, UNKNOWN),
        ("endsWith(github.ref, '/main')", True, UNKNOWN),
        ("github.event.action == null", True, False),
        ("success() && github.event_name == 'push'", True, False),
        ("cancelled()", False, False),
        ("github.repository == 'a/b' && github.event_name == 'push'", UNKNOWN, False),
        ("github.repository == 'a/b' || github.event_name == 'push'", True, UNKNOWN),
        ("true", True, True),
        ("false", False, False),
        ("1 == 1.0 && '' == false && null == 0", True, True),
        ("x ${{ github.event_name == 'never' }}", True, True),  # text around: a true string
        ("", True, True),
    ],
)
def test_conditions(condition: str, push: object, release: object) -> None:
    """Each condition against a push to main and a published release."""
    assert (
        condition_truth(condition, PUSH_MAIN, set()),
        condition_truth(condition, RELEASE, set()),
    ) == (
        push,
        release,
    )


def test_unknown_terms_are_named() -> None:
    """The terms the evaluator cannot know are collected for the message."""
    unknown: set[str] = set()
    condition = "github.repository_owner == 'x' && format('{0}', inputs.v) == 'y'"
    assert condition_truth(condition, PUSH_MAIN, unknown) is UNKNOWN
    assert unknown == {"github.repository_owner", "inputs.v", "format()"}


@pytest.mark.parametrize("text", ["github.ref ==", "(a", "a b", "'open", "a.", "f(a,"])
def test_syntax_errors(text: str) -> None:
    """Text that is not an expression is refused by the parser; as a condition it may run."""
    with pytest.raises(ExpressionError):
        parse_expression(text)
    unknown: set[str] = set()
    assert condition_truth(text, PUSH_MAIN, unknown) is UNKNOWN
    assert unknown


# Property: on fully known contexts the result is a bool; with a Prefix for the ref, any known
# result is the result for every ref that starts with the prefix (soundness).

ATOMS = [
    "github.event_name == 'push'",
    "github.event_name == 'release'",
    "github.event.action == 'published'",
    "startsWith(github.ref, 'refs/tags/')",
    "startsWith(github.ref, 'refs/heads/rel')",
    "github.ref == 'refs/heads/main'",
    "github.ref != 'refs/tags/v1'",
    "contains(github.ref, 'v1')",
    "endsWith(github.ref, 'main')",
    "github.ref_type == 'tag'",
    "always()",
]


def expressions() -> st.SearchStrategy[str]:
    """Random conditions built from the atoms with !, &&, || and parentheses."""
    return st.recursive(
        st.sampled_from(ATOMS),
        lambda inner: st.one_of(
            inner.map(lambda e: f"!({e})"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]}) && ({p[1]})"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]}) || ({p[1]})"),
        ),
        max_leaves=8,
    )


REFS = st.sampled_from(
    [
        "refs/heads/main",
        "refs/heads/release/1",
        "refs/tags/v1",
        "refs/tags/v1.2",
        "refs/pull/3/merge",
    ]
)


def context(ref: Value, name: str = "push", action: Value = None) -> dict[str, Value]:
    """A context with the given ref; ref_type follows from it when known."""
    ref_type: Value = UNKNOWN
    text = ref.text if isinstance(ref, Prefix) else ref
    if isinstance(text, str) and text.startswith("refs/tags/"):
        ref_type = "tag"
    elif isinstance(text, str) and text.startswith(("refs/heads/", "refs/pull/")):
        ref_type = "branch"  # GitHub gives a pull request's merge ref the type "branch"
    return {
        "github.event_name": name,
        "github.event.action": action,
        "github.ref": ref,
        "github.ref_type": ref_type,
    }


@given(expressions(), REFS, st.sampled_from(["push", "release"]))
def test_known_contexts_give_a_known_answer(expression: str, ref: str, name: str) -> None:
    """With every term known, the answer is true or false, never unknown."""
    action = "published" if name == "release" else None
    unknown: set[str] = set()
    assert condition_truth(expression, context(ref, name, action), unknown) in (True, False)
    assert unknown == set()


@given(expressions(), REFS, st.integers(min_value=0, max_value=20))
def test_a_prefix_answer_holds_for_every_ref_it_stands_for(
    expression: str, ref: str, cut: int
) -> None:
    """Sound: a known answer for ``Prefix(ref[:cut])`` is the answer for ``ref`` itself."""
    partial = condition_truth(expression, context(Prefix(ref[:cut])), set())
    full = condition_truth(expression, context(ref), set())
    assert partial is UNKNOWN or partial == full


@given(expressions(), REFS)
def test_negation_flips_the_answer(expression: str, ref: str) -> None:
    """``!(e)`` is the opposite of ``e`` (unknown stays unknown)."""
    for ctx in (context(ref), context(Prefix(ref[:12]))):
        truth = condition_truth(expression, ctx, set())
        negated = condition_truth(f"!({expression})", ctx, set())
        assert negated is UNKNOWN if truth is UNKNOWN else negated == (not truth)
