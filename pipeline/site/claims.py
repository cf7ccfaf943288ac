"""Checked claims: every sentence the site states about a result is tested against the run's
outputs while its page is rendered.

In a template (or a hand-written note, which is rendered as one) a claim is one call block:

    {% call claim("a < b", a=m.val_loss, b=base.val_loss) %}
    The val loss falls from {{ base.val_loss | num }} to {{ m.val_loss | num }}.
    {% endcall %}

The first argument is a small Jinja expression over the named numbers (and the helpers of
HELPERS); the block is the sentence it supports, its numbers from template expressions. Each
claim is recorded with its page, its sentence, its numbers and whether it holds. A claim holds
when its expression is true; a claim whose numbers are missing (None, nan) cannot be checked and
does not hold either.

The config key `claims` decides what a claim that does not hold does: `strict` (the default) makes
the pages step fail, one line per such claim naming page, sentence and numbers; `warn` publishes
the page with the sentence marked and a red admonition at the top, for exploratory configs and
short runs. Either way the claims page lists every claim, its status and its numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import jinja2
import jinja2.meta

from pipeline.errors import ClaimError
from pipeline.format import fmt, sentence_problems

MODES = ("strict", "warn")
__all__ = ["MODES", "Claim", "ClaimBook", "ClaimError", "admonition", "claim_function", "insert_admonition"]


def approx(a: float, b: float, rel: float = 0.0, abs: float = 0.0) -> bool:  # noqa: A002 (the usual names)
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs)


def between(x: float, low: float, high: float) -> bool:
    return low <= x <= high


def log10(x: float) -> float:
    return math.log10(x)


def ratios(xs: list) -> list:
    """Each number of a list divided by the one before it (layer-to-layer factors)."""
    return [b / a for a, b in zip(xs[:-1], xs[1:], strict=True)]


def gaps(xs: list, ys: list) -> list:
    """|x - y| pair by pair (two lists of the same length)."""
    return [abs(x - y) for x, y in zip(xs, ys, strict=True)]


def quotients(xs: list, ys: list) -> list:
    """x / y pair by pair."""
    return [x / y for x, y in zip(xs, ys, strict=True)]


def spread(xs: list) -> float:
    """max / min of a list of positive numbers."""
    return max(xs) / min(xs)


def verdict(sig, d) -> str:
    """What a seed comparison shows, for a loss (lower is better): 'lower' or 'higher' when the
    difference `d` (b - a) exceeds the seed noise (`sig`), 'indistinguishable' when it does not.
    A sentence picks its words by it, and its claim checks exactly that verdict."""
    if sig is None or d is None:
        return "unknown"
    return "indistinguishable" if not sig else ("lower" if d < 0 else "higher")


def outcomes(test, numbers: dict, names: set) -> dict:
    """For each pair of a flag (a bool, e.g. 'exceeds the seed noise') and a signed number (a float,
    e.g. a difference) among the numbers the expression reads: the verdicts (verdict()) for which
    the expression holds when the flag and the sign of the number are set every possible way, the
    other numbers as measured. A claim that holds for two verdicts states neither."""
    flags = [k for k in sorted(names) if isinstance(numbers.get(k), bool)]
    signed = [k for k in sorted(names) if isinstance(numbers.get(k), float) and not isinstance(numbers.get(k), bool)
              and numbers[k] != 0]
    out = {}
    for f in flags:
        for x in signed:
            held = set()
            for flag in (True, False):
                for sign in (1, -1):
                    trial = {**numbers, f: flag, x: sign * abs(numbers[x])}
                    try:
                        if bool(test(**HELPERS, **trial)):
                            held.add(verdict(flag, trial[x]))
                    except (TypeError, ValueError, ArithmeticError, IndexError, jinja2.UndefinedError):
                        pass
            out[(f, x)] = held
    return out


# what a claim's expression may call besides its own numbers
HELPERS = {"abs": abs, "min": min, "max": max, "all": all, "any": any, "len": len, "sum": sum, "sorted": sorted,
           "round": round, "approx": approx, "between": between, "log10": log10, "sqrt": math.sqrt,
           "ratios": ratios, "spread": spread, "gaps": gaps, "quotients": quotients, "verdict": verdict}


def show(v) -> str:
    """A number as the claims page and the error messages show it."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return str(v).lower() if isinstance(v, bool) else ("missing" if v is None else v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return fmt(v, ".4g")
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(show(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {show(x)}" for k, x in v.items()) + "}"
    return str(v)


def plain(markdown: str) -> str:
    """A sentence as one line of text: whitespace collapsed, link targets and emphasis dropped."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("**", "").replace("`", "")
    return " ".join(text.split())


def _missing(v) -> bool:
    if v is None or isinstance(v, jinja2.Undefined):
        return True
    if isinstance(v, float):
        return not math.isfinite(v)
    if isinstance(v, (list, tuple)):
        return any(_missing(x) for x in v)
    return False


@dataclass
class Claim:
    page: str
    sentence: str
    expr: str
    numbers: dict
    holds: bool
    reason: str = ""  # why it does not hold: false, or which number is missing
    number: int = 0   # 1, 2, ... in the order of the site
    source: str = ""  # the generated file it was rendered into

    @property
    def anchor(self) -> str:
        return f"claim-{self.number}"

    def numbers_text(self) -> str:
        return ", ".join(f"{k} = {show(v)}" for k, v in self.numbers.items())

    def line(self) -> str:
        """One line naming page, sentence and numbers."""
        return f'{self.page}: "{plain(self.sentence)}" does not hold: {self.expr} is {self.reason} ' \
               f"with {self.numbers_text() or 'no numbers'}"

    def as_dict(self) -> dict:
        return {"number": self.number, "page": self.page, "sentence": plain(self.sentence), "expr": self.expr,
                "numbers": {k: show(v) for k, v in self.numbers.items()}, "holds": self.holds,
                "reason": self.reason}


@dataclass
class ClaimBook:
    """The claims of one build, in the order they were rendered."""
    mode: str = "strict"
    claims: list[Claim] = field(default_factory=list)
    source: str = ""  # the file being rendered

    def __post_init__(self):
        if self.mode not in MODES:
            raise ClaimError(f"claims: {self.mode!r} is not a mode; use strict (a claim that does not hold "
                             "fails the build) or warn (it is marked on its page).")

    def check(self, env: jinja2.Environment, page: str, expr: str, numbers: dict, sentence: str) -> Claim:
        try:
            test = env.compile_expression(expr, undefined_to_none=False)
            names = jinja2.meta.find_undeclared_variables(env.parse("{{ " + expr + " }}"))
        except jinja2.TemplateSyntaxError as e:
            raise jinja2.TemplateSyntaxError(f"the claim expression {expr!r} on {page}: {e.message}", e.lineno) from e
        unknown = names - set(numbers) - set(HELPERS)
        if unknown:  # a typo, not a fact of the run: fail the page
            raise jinja2.UndefinedError(f"the claim expression {expr!r} on {page} uses {', '.join(sorted(unknown))}, "
                                        "which is neither one of its numbers nor a helper")
        missing = [k for k, v in numbers.items() if _missing(v)]
        if missing:
            holds, reason = False, "not checkable: " + ", ".join(missing) + " missing"
        else:
            unknown = set(HELPERS) & set(numbers)
            if unknown:
                raise jinja2.TemplateError(f"claim on {page}: {', '.join(sorted(unknown))} shadows a helper; "
                                           "rename the number")
            for (f, x), held in outcomes(test, numbers, names).items():
                if len(held) > 1:  # a fault of the template, not of the run: fail the page in either mode
                    raise ClaimError(f'{page}: the claim {expr!r} holds whether the data show '
                                     f'{" or ".join(sorted(held))} (over {f} and the sign of {x}), so it states '
                                     f'neither: pick the sentence by verdict({f}, {x}) and claim that verdict '
                                     f'("{plain(sentence)[:80]}")')
            try:
                holds = bool(test(**HELPERS, **numbers))
            except (TypeError, ValueError, ArithmeticError, IndexError, jinja2.UndefinedError) as e:
                holds, reason = False, f"not checkable ({type(e).__name__}: {e})"
            else:
                reason = "" if holds else "false"
            bad = sentence_problems(plain(sentence))
            if holds and bad:  # true, but printed so that it reads as something else
                holds, reason = False, ("true but misprinted: " + "; ".join(bad)
                                        + " (print more digits with the `apart` filter, or say it in words)")
        c = Claim(page, sentence.strip(), expr, dict(numbers), holds, reason, number=len(self.claims) + 1,
                  source=self.source)
        self.claims.append(c)
        return c

    def failed(self, source: str | None = None) -> list[Claim]:
        return [c for c in self.claims if not c.holds and (source is None or c.source == source)]

    def error(self) -> str:
        bad = self.failed()
        head = (f"{len(bad)} of {len(self.claims)} claims of the site do not hold in this run (claims: strict). "
                "Fix the sentence or its expression, or build with --config claims=warn to publish them marked.")
        return "\n".join([head, *(c.line() for c in bad)])

    def summary(self) -> str:
        bad = len(self.failed())
        return (f"claims: {len(self.claims)} checked, {len(self.claims) - bad} hold, {bad} do not hold "
                f"(claims: {self.mode})")


def claim_function(book_key: str = "_claims", page_key: str = "_page"):
    """The `claim` of the templates: a call block that records its sentence and returns it, marked when
    it does not hold. Rendered outside a build (no book in the context), a claim is checked strictly."""
    @jinja2.pass_context
    def claim(context, expr: str, caller, **numbers):
        book = context.get(book_key)
        page = context.get(page_key) or "?"
        sentence = caller()
        if book is None:
            book = ClaimBook("strict")
        c = book.check(context.environment, page, expr, numbers, sentence)
        if c.holds:
            return sentence
        if book.mode == "strict" and context.get(book_key) is None:
            raise ClaimError(c.line())
        text = sentence.strip()
        body = sentence.lstrip("\n")
        lead = body[:len(body) - len(body.lstrip(" "))]  # kept: a sentence inside an admonition stays inside it
        return f'{lead}<mark class="claim-false" title="does not hold in this run">{text}</mark> ' \
               f"[(claim {c.number} does not hold)](#{c.anchor})" + ("\n" if sentence.endswith("\n") else "")
    return claim


def admonition(claims: list[Claim]) -> str:
    """The red box a page in warn mode starts with: every claim of it that does not hold."""
    if not claims:
        return ""
    lines = ['!!! failure "' + (f"{len(claims)} claims on this page do not hold in this run" if len(claims) > 1
                                else "A claim on this page does not hold in this run") + '"', ""]
    for c in claims:
        lines.append(f'    - <a id="{c.anchor}"></a>**Claim {c.number}**: "{plain(c.sentence)}": '
                     f"`{c.expr}` is {c.reason} with {c.numbers_text() or 'no numbers'}.")
    lines += ["", "    The build was made with `claims: warn`; with `claims: strict` it would have stopped here.", ""]
    return "\n".join(lines) + "\n"


def insert_admonition(text: str, box: str) -> str:
    """`box` after the page's title (its first `# ` line), or at the top of a fragment."""
    if not box:
        return text
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "".join(lines[:i + 1]) + "\n" + box + "\n" + "".join(lines[i + 1:])
    return box + "\n" + text
