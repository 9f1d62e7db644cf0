#!/usr/bin/python3
"""Golden answers of graphite-web 1.1.8's events, computed by graphite-web.

Runs Debian 12's graphite-web (apt-get install graphite-web) over an
in-memory SQLite database: each POST body of EVENTS goes through its
events.views.post_event, each query string of QUERIES through its
events.views.get_data, and each target of TARGETS through its render
evaluator (the events() function). events_golden_test.cc replays the same
requests against Hourglass's ApiRouter and compares the answers.

  /usr/bin/python3 tests/query/golden/make_events_golden.py

writes events.json next to this script.
"""
import json
import math
import os
import warnings
from datetime import datetime, timezone
from unittest import mock

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'graphite.settings')
warnings.filterwarnings('ignore')
from django.conf import settings  # noqa: E402

settings.DATABASES  # loads graphite.settings before it is changed
settings.DATABASES['default'] = {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}
import django  # noqa: E402
django.setup()
from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from graphite.events import views  # noqa: E402
from graphite.render import evaluator  # noqa: E402

NOW = 1420110000  # kNow in tests/query/test_store.h

EVENTS = [
    {'what': 'deploy web', 'tags': ['deploy', 'prod'], 'when': NOW - 3000, 'data': 'v1.2'},
    {'what': 'deploy db', 'tags': 'deploy staging', 'when': NOW - 2000},
    {'what': 'restart', 'tags': ['prod', 'restart', 'prod'], 'when': NOW - 1000.75,
     'data': 'oom'},
    {'what': 'comma tags', 'tags': 'b,a', 'when': NOW - 500},
    {'what': 'untagged', 'when': NOW - 400, 'data': 'x "quoted"\n'},
    {'what': 'same second 1', 'tags': ['burst'], 'when': NOW - 5},
    {'what': 'same second 2', 'tags': ['burst', 'prod'], 'when': NOW - 5},
    {'what': 'later', 'tags': ['burst'], 'when': NOW - 3},
    {'what': 'at now', 'tags': ['deploy'], 'when': NOW},
]

QUERIES = [
    f'from={NOW - 4000}&until={NOW}',
    f'from={NOW - 4000}&until={NOW}&tags=deploy',
    f'from={NOW - 4000}&until={NOW}&tags=deploy%20prod',
    f'from={NOW - 4000}&until={NOW}&tags=prod+deploy',
    f'from={NOW - 4000}&until={NOW}&tags=staging%20prod&set=union',
    f'from={NOW - 4000}&until={NOW}&tags=prod%20burst&set=intersection',
    f'from={NOW - 4000}&until={NOW}&tags=a',
    f'from={NOW - 3000}&until={NOW - 2000}',
    f'from={NOW - 2999}&until={NOW - 2001}',
    f'from={NOW - 1001}&until={NOW - 1000}',
    f'from={NOW - 10}&until={NOW}&tags=burst',
    f'from={NOW - 10}&until={NOW}&tags=deploy&jsonp=cb',
    f'from={NOW}&until={NOW - 4000}',
]

TARGETS = [
    ('events("burst")', NOW - 10, NOW),
    ('events("*")', NOW - 10, NOW - 1),
    ('events("burst", "prod")', NOW - 8, NOW - 2),
    ('events("nothing")', NOW - 4, NOW),
]


def dt(t):
    return datetime.fromtimestamp(t, timezone.utc)


def main():
    call_command('migrate', run_syncdb=True, verbosity=0)
    factory = RequestFactory()
    for body in EVENTS:
        response = views.post_event(factory.post('/events/', json.dumps(body),
                                                 content_type='application/json'))
        assert response.status_code == 200, response
    queries = []
    with mock.patch('graphite.events.views.now', return_value=dt(NOW)):
        for q in QUERIES:
            response = views.get_data(factory.get('/events/get_data?' + q))
            queries.append({'query': q, 'status': response.status_code,
                            'content_type': response['Content-Type'],
                            'body': response.content.decode()})
    renders = []
    for target, start, end in TARGETS:
        ctx = {'startTime': dt(start), 'endTime': dt(end), 'now': dt(NOW), 'localOnly': True,
               'data': [], 'prefetched': {}, 'xFilesFactor': 0, 'template': {}}
        for s in evaluator.evaluateTarget(ctx, target):
            renders.append({'target': target, 'from': start, 'until': end, 'name': s.name,
                            'start': s.start, 'end': s.end, 'step': s.step,
                            'values': [None if v is None or math.isnan(v) else v
                                       for v in list(s)]})
    out = {'now': NOW, 'events': EVENTS, 'queries': queries, 'renders': renders}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'events.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
