"""Template helpers of the steward pages: PII masking for viewers, and server-rendered SVG charts
(match-weight waterfall, score histogram), so pages need no chart library and no CDN."""

from __future__ import annotations

import contextlib
import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from profiles.roles import STEWARD, user_has_role
from profiles.selectors import PairEvidence

register = template.Library()

# Attributes a viewer sees masked (SPEC §5: "viewer (read, PII masked)").
PII_ATTRIBUTES = frozenset({"email", "phone", "date_of_birth", "national_id", "street"})
MASK = "•"


def sees_pii(user: object) -> bool:
    """Stewards and admins (and superusers) see personal data; the answer is kept on the user
    object so that a page asks the database once, not once per value."""
    cached = getattr(user, "_mdm_sees_pii", None)
    if cached is None:
        cached = user_has_role(user, STEWARD)
        with contextlib.suppress(AttributeError):
            user._mdm_sees_pii = cached  # type: ignore[attr-defined]
    return cached


@register.filter
def masked(value: object, kind: str = "") -> str:
    """The value with its identifying part hidden: j•••@example.com, ••••••4567, ••••-••-••."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.date) or kind == "date_of_birth":
        return f"{MASK * 4}-{MASK * 2}-{MASK * 2}"
    text = str(value)
    if kind == "email" or (not kind and "@" in text):
        local, _, domain = text.partition("@")
        return f"{local[:1]}{MASK * 3}@{domain}"
    if kind == "phone":
        return MASK * max(len(text) - 2, 3) + text[-2:]
    return text[:1] + MASK * 5


@register.simple_tag(takes_context=True)
def pii(context: template.Context, value: object, kind: str, date_format: str = "Y-m-d") -> str:
    """`{% pii record.email "email" %}`: the value for stewards, masked for everyone else. `kind`
    is the canonical attribute; attributes that are not personal data are shown as they are."""
    from django.template.defaultfilters import date as date_filter

    request = context.get("request")
    user = getattr(request, "user", None)
    if kind in PII_ATTRIBUTES and not sees_pii(user):
        return masked(value, kind)
    if isinstance(value, dt.date):
        return date_filter(value, date_format)
    return "" if value is None else str(value)


@register.simple_tag(takes_context=True)
def can_see_pii(context: template.Context) -> bool:
    request = context.get("request")
    return sees_pii(getattr(request, "user", None))


def _fmt(x: float) -> str:
    return f"{x:.1f}"


@register.simple_tag
def waterfall_svg(evidence: PairEvidence, width: int = 640) -> SafeString:
    """A horizontal match-weight waterfall: the prior, then each field's log2 Bayes factor moving
    the running total right (for a match) or left (against), then the total, with the review and
    auto-link thresholds as dashed lines (in the same log2-odds units)."""
    steps = evidence.steps
    label_w, value_w, row_h, top = 140, 60, 22, 18
    plot_w = width - label_w - value_w
    marks = [0.0]
    for s in steps:
        marks += [s.start, s.end]
    for t in (evidence.auto_link_weight, evidence.review_weight):
        if t is not None:
            marks.append(t)
    low, high = min(marks) - 1, max(marks) + 1
    scale = plot_w / (high - low)

    def x(v: float) -> float:
        return label_w + (v - low) * scale

    height = top + row_h * len(steps) + 24
    parts = [
        format_html(
            '<svg class="waterfall" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="wf-title">'
            '<title id="wf-title">Match weight waterfall: total {} (log2 odds), probability {}</title>',
            width,
            height,
            _fmt(evidence.total),
            f"{evidence.probability:.3f}",
        )
    ]
    parts.append(
        format_html(
            '<line class="wf-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', _fmt(x(0)), top - 6, _fmt(x(0)), height - 18
        )
    )
    for name, value in (("review", evidence.review_weight), ("auto-link", evidence.auto_link_weight)):
        if value is None:
            continue
        parts.append(
            format_html(
                '<line class="wf-threshold" x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>'
                '<text class="wf-threshold-label" x="{0}" y="{3}" text-anchor="middle">{4}</text>',
                _fmt(x(value)),
                top - 6,
                height - 18,
                height - 4,
                name,
            )
        )
    for i, step in enumerate(steps):
        y = top + i * row_h
        left, right = sorted((step.start, step.end))
        bar_w = max((right - left) * scale, 1.5)
        sign = "+" if step.weight > 0 and step.kind not in ("prior", "total") else ""
        parts.append(
            format_html(
                '<g class="wf-step wf-{}"><text class="wf-label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}"/>'
                '<text class="wf-value" x="{}" y="{}">{}{}</text></g>',
                step.kind,
                label_w - 6,
                y + row_h - 8,
                step.label,
                _fmt(x(left)),
                y + 3,
                _fmt(bar_w),
                row_h - 6,
                width - value_w + 4,
                y + row_h - 8,
                sign,
                f"{step.weight:.2f}",
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part escaped by format_html


@register.simple_tag
def histogram_svg(
    counts: list[int], auto_link: float | None = None, review: float | None = None, width: int = 640
) -> SafeString:
    """Candidate pairs by match probability (bins over 0–1) with the thresholds drawn; bar
    heights on a square-root scale so that the small review band stays visible next to the
    large no-match mass."""
    counts = [int(c) for c in (counts or [])]
    height, bottom, left = 200, 22, 8
    plot_h, plot_w = height - bottom - 14, width - 2 * left
    bins = len(counts) or 1
    peak = max(counts) if counts else 0
    bar_w = plot_w / bins
    parts = [
        format_html(
            '<svg class="histogram-svg" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="hist-title">'
            '<title id="hist-title">Score histogram: {} scored pairs in {} bins</title>',
            width,
            height,
            sum(counts),
            bins,
        )
    ]
    for i, n in enumerate(counts):
        h = (n / peak) ** 0.5 * plot_h if peak else 0
        low, high = i / bins, (i + 1) / bins
        parts.append(
            format_html(
                '<rect class="hist-bar" x="{}" y="{}" width="{}" height="{}"><title>{}–{}: {} pairs</title></rect>',
                _fmt(left + i * bar_w + 1),
                _fmt(14 + plot_h - h),
                _fmt(max(bar_w - 2, 1)),
                _fmt(h),
                f"{low:.2f}",
                f"{high:.2f}",
                n,
            )
        )
    for tick in range(0, 11, 2):
        parts.append(
            format_html(
                '<text class="hist-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                _fmt(left + tick / 10 * plot_w),
                height - 6,
                f"{tick / 10:.1f}",
            )
        )
    for name, value in (("review", review), ("auto-link", auto_link)):
        if value is None:
            continue
        xv = left + float(value) * plot_w
        parts.append(
            format_html(
                '<line class="hist-threshold" x1="{0}" y1="12" x2="{0}" y2="{1}"/>'
                '<text class="hist-threshold-label" x="{0}" y="10" text-anchor="middle">{2} {3}</text>',
                _fmt(xv),
                14 + plot_h,
                name,
                value,
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * float(value):.1f} %"
