"""Generators of data, not used at run time: the bundled sample submissions
(``make sample-data``) and the synthetic country of the benchmark."""
