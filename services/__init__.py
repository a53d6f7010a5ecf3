"""The library catalogue: books and loans, free of any protocol."""
