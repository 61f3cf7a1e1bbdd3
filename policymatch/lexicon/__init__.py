"""Data files of the shared tokenizer (``policymatch.text_tokens``): jieba user dictionary and synonyms."""
