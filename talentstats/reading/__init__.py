"""Reading and parsing: files to grids (in isolated workers), grids to forms, the roster's pseudonyms."""
