# Loaded by Python at start-up (PYTHONPATH) in tests/elk/elastalert-delivery.test.ts only.
# Debian's ElastAlert 0.2.4 decorates its deprecated_search with the query_params of Debian's elasticsearch 7.17
# client, which calls it with a `headers` argument it does not take: every aggregation query (percentage_match, the
# 5xx rule) fails with a TypeError before it reaches Elasticsearch. This lets the decorated function take and drop
# it; nothing else changes. ElastAlert2 has its own search (elastalert/__init__.py at 2.31.0).
import elastalert

_outer = elastalert.ElasticSearchClient.deprecated_search
_inner = _outer.__wrapped__


def _accepting_headers(self, index=None, doc_type=None, body=None, params=None, headers=None):
    return _inner(self, index=index, doc_type=doc_type, body=body, params=params)


for _cell in _outer.__closure__ or ():
    if _cell.cell_contents is _inner:
        _cell.cell_contents = _accepting_headers
