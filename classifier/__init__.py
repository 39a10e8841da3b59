"""Routing complaints: text in (typed or transcribed) → category, department, urgency.

A keyword classifier over a configurable taxonomy (``taxonomy.yaml``): explainable,
fast, robust to spoken style, Traditional characters and speech-recognition
homophones. It knows nothing about the hotline around it.
"""
from classifier.engine import Classifier, EmptyTextError
from classifier.learn import LearnedWeights, learn, load_learned, save_learned
from classifier.loading import load_classifier
from classifier.routing import Keyword, Routing
from classifier.taxonomy import TaxonomyError

__all__ = [
    "Classifier",
    "EmptyTextError",
    "Keyword",
    "LearnedWeights",
    "Routing",
    "TaxonomyError",
    "learn",
    "load_classifier",
    "load_learned",
    "save_learned",
]
