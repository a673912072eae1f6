"""The collection: an ``Index`` of chunks over a ``VectorStore`` and a lexical index, the folder
it is saved in, and the default index over the bundled articles."""
