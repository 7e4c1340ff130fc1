"""Twisted's own parsing of form bodies, turned off in the Daphne that serves this application.

Twisted's ``http.Request`` parses every multipart/form-data POST into
``request.args`` with the email package once the whole body has arrived,
holding several copies of the body in memory and taking seconds of CPU on the
reactor thread: one POST of 20 photos (68 MB) took Daphne from 96 to 760 MB,
although Daphne never reads ``request.args`` (Django parses the body itself,
streaming each file to disk). Twisted has the switch
(``parsePOSTFormSubmission=False``) but Daphne has no option that passes it, so
it is passed here, in the Daphne process that loads ``webapp.asgi``.
"""
import inspect


def leave_form_bodies_to_django() -> None:
    from daphne.http_protocol import WebRequest
    from twisted.web import http

    if getattr(WebRequest, "leaves_form_bodies_to_django", False):
        return
    if "parsePOSTFormSubmission" not in inspect.signature(http.Request.__init__).parameters:
        return  # a Twisted without the switch parses forms whatever we ask
    create = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parsePOSTFormSubmission", False)
        create(self, *args, **kwargs)

    WebRequest.__init__ = __init__
    WebRequest.leaves_form_bodies_to_django = True
