"""``hotline classify`` and ``hotline classifier learn``: route texts, measure, learn.

    hotline classify "楼道里着火了"          one JSON object
    hotline classify < lines.txt            one JSON object per input line, in order
    hotline classify --eval labelled.tsv    accuracy, emergency recall/precision, confusions
    hotline classifier learn labelled.tsv   learn keyword weights into HOME/classifier/learned.yaml
    hotline classifier learn-corrections    the same from the dispatchers' stored corrections
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from classifier import (
    Classifier,
    Routing,
    TaxonomyError,
    learn,
    load_classifier,
    save_learned,
)
from classifier.evaluate import (
    LabelledFileError,
    evaluate,
    format_report,
    read_labelled,
)
from classifier.taxonomy import load_taxonomy
from hotline.cli.common import CliError, database, settings
from hotline.config import Settings
from storage import tickets as ticket_store

classifier_app = typer.Typer(help="Maintain the complaint classifier.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("classify")(classify)
    app.add_typer(classifier_app, name="classifier")


def learned_path(config: Settings) -> Path:
    """Where learned keyword weights live: one file per instance, used by every classifier."""
    return config.home / "classifier" / "learned.yaml"


def classify(
    text: str | None = typer.Argument(None, help="complaint text; omit to read one text per line from stdin"),
    eval_file: Path | None = typer.Option(
        None, "--eval", help="labelled TSV (id, category, department, urgency, text): print accuracy"
    ),
    no_learned: bool = typer.Option(False, "--no-learned", help="ignore learned keyword weights"),
) -> None:
    """Route complaint text to category, department and urgency (JSON per text)."""
    clf = _load(use_learned=not no_learned)
    if eval_file is not None:
        try:
            rows = read_labelled(eval_file)
        except LabelledFileError as exc:
            raise CliError(str(exc)) from exc
        typer.echo(format_report(evaluate(clf, rows)))
        return
    if text is not None:
        if not text.strip():
            raise CliError("text is empty: nothing to classify")
        typer.echo(_as_json(clf.classify(text)))
        return
    if sys.stdin.isatty():
        raise CliError('give the text as an argument or pipe lines on stdin: hotline classify "…"')
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if line.strip():
            typer.echo(_as_json(clf.classify(line)))
        else:  # keep output lines aligned with input lines
            typer.echo(json.dumps({"error": "text is empty: nothing to classify"}, ensure_ascii=False))


@classifier_app.command("learn")
def learn_command(
    labelled: Path = typer.Argument(..., help="labelled TSV (id, category, department, urgency, text)"),
) -> None:
    """Learn extra keyword weights from labelled texts into HOME/classifier/learned.yaml."""
    config = settings()
    try:
        rows = read_labelled(labelled)
        taxonomy = load_taxonomy(config.taxonomy)
        weights = learn(((row.text, row.category) for row in rows), taxonomy=taxonomy)
    except (LabelledFileError, TaxonomyError) as exc:
        raise CliError(str(exc)) from exc
    target = learned_path(config)
    save_learned(target, weights)
    typer.echo(f"learned {weights.terms()} keyword weights from {weights.examples} texts → {target}")


@classifier_app.command("learn-corrections")
def learn_corrections_command(
    also: Path | None = typer.Option(
        None, "--also", help="labelled TSV learned together with the corrections (e.g. the dev set, as contrast)"
    ),
) -> None:
    """Learn extra keyword weights from the dispatchers' routing corrections (plus --also FILE)."""
    config = settings()
    try:
        taxonomy = load_taxonomy(config.taxonomy)
        extra = [(row.text, row.category) for row in read_labelled(also)] if also else []
    except (LabelledFileError, TaxonomyError) as exc:
        raise CliError(str(exc)) from exc
    with database().read() as session:
        corrections = ticket_store.list_routing_corrections(session)
    # A correction to a category this taxonomy no longer has, or of an empty ticket, teaches nothing.
    usable = [(text, category) for text, category in corrections if text.strip() and category in taxonomy.categories]
    if not usable and not extra:
        raise CliError("no dispatcher corrections to learn from yet")
    weights = learn(usable + extra, taxonomy=taxonomy)
    target = learned_path(config)
    save_learned(target, weights)
    skipped = len(corrections) - len(usable)
    typer.echo(
        f"learned {weights.terms()} keyword weights from {len(usable)} corrections"
        + (f" and {len(extra)} labelled texts" if extra else "")
        + (f" ({skipped} corrections skipped: empty text or unknown category)" if skipped else "")
        + f" → {target}"
    )


def _load(use_learned: bool) -> Classifier:
    config = settings()
    try:
        return load_classifier(
            taxonomy_path=config.taxonomy,
            learned_path=learned_path(config) if use_learned else None,
            cache_dir=config.cache_dir,
        )
    except TaxonomyError as exc:
        raise CliError(str(exc)) from exc


def _as_json(routing: Routing) -> str:
    return json.dumps(routing.to_dict(), ensure_ascii=False)
