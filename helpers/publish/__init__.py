"""Stage 4, publish: indicators → what people read.

Takes the processed tables of a year; gives the annex table and its HTML sections, charts and
draft sentences, the Excel copy, the HTML rendering of the executed notebook, its PDF, and the
blank data-entry forms sent to the communes.
"""
