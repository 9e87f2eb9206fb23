"""The text toolkit: words (tokenizers, stop words, accent folding), numbers and dates as values, sentences, entity
labels, spaCy's pipeline and the numbers stated in a sentence, and case restoration. Imports only :mod:`rag.core`."""
