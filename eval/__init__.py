"""`make eval`: how well the inspection engine reads notes, on corpora kept in the repo."""
