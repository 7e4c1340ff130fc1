"""A visitor of a running site (Daphne in its own process): cookies, CSRF, multipart uploads, JSON."""
import http.cookiejar
import json
import secrets
import urllib.error
import urllib.request

from django.urls import reverse


class SiteClient:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base_url + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def cookie_header(self) -> str:
        """This visitor's cookies as a Cookie header, for a WebSocket opened beside the client."""
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)

    def csrf_token(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def submit(self, tool: str, images: list[tuple[str, bytes]], fields: dict, timeout: float = 60) -> tuple[int, dict]:
        """POST images to a tool as its page does; (status, JSON answer)."""
        status, _ = self.get(reverse("tool", args=[tool]))  # the session, the visitor token and the CSRF cookie
        assert status == 200
        boundary = secrets.token_hex(12)
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        for name, data in images:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="images"; filename="{name}"\r\n'
                         f'Content-Type: image/png\r\n\r\n'.encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            self.base_url + reverse("submit_jobs", args=[tool]), data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": self.csrf_token(),
                     "Accept": "application/json"})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, {"body": exc.read().decode(errors="replace")}

    def job(self, job_id: str) -> dict:
        status, body = self.get(reverse("job_detail", args=[job_id]))
        assert status == 200, body[:500]
        return json.loads(body)["job"]
