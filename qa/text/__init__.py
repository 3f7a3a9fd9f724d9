"""Reading text, written once: sentences, citation markers, words (stopwords, stemmer), names, figures, dates."""
