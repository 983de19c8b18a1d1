"""The execution viewer: a small web page served by ``asl serve`` and written by
``asl run --report``.

:mod:`.http` answers the viewer's GET requests (the page, its assets, two read-only data
endpoints); every action of the page goes through the Step Functions API of the same endpoint.
:mod:`.report` writes one self-contained HTML page of a finished run. The page itself lives in
``static/`` (plain HTML, CSS and JavaScript, no build step, no CDN).
"""
