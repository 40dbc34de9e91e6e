"""A photo fetched by its URL, for a supervisor's spot check: a Zalo photo is kept as the URL the platform gave
(bot/channels/zalo_updates.py:_photo_url), and the leaders' page serves it from the bot's own address.

The URL came in a message, so neither it nor what it answers is trusted:
- only http and https are asked, and only of the hosts the platform serves its files from (`ZALO_PHOTO_HOSTS`,
  the Zalo API's own host and any the deployment adds in `zalo.photo_hosts`; a host or any name under it), so a
  forged update cannot make the bot fetch from its own network;
- a redirect is followed by hand, at most `MAX_REDIRECTS`, and only to an allowed host;
- the answer must say it is an image and be at most `MAX_PHOTO_BYTES` (read in pieces, given up past the cap
  whatever its Content-Length says), and its bytes must be a JPEG, PNG, WebP or GIF (`image_type`): the page
  serves that type, never the one the answer claimed.
Anything else, a time-out or a network failure is None: the page then says to look at the photo in the chat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import aiohttp
from yarl import URL

from bot.settings import host_name

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
SCHEMES = frozenset({"http", "https"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024
# Where Zalo serves the pictures people send (its CDNs) and its Bot API: each a host or the domain of its hosts.
ZALO_PHOTO_HOSTS = ("zdn.vn", "zadn.vn", "zalo.me", "zaloapp.com", "zaloplatforms.com")


def host_allowed(host: str | None, allowed: frozenset[str]) -> bool:
    """Whether `host` is one of `allowed` or a name under one of them (f1.photo.zdn.vn under zdn.vn)."""
    if not host:
        return False
    name = host_name(host)
    return any(name == domain or name.endswith("." + domain) for domain in allowed)


def image_type(content: bytes) -> str | None:
    """The MIME type the bytes are, by their signature: JPEG, PNG, WebP or GIF (None: none of them)."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


class PhotoDownloads:
    """Fetches photos by URL from the `hosts` allowed (each a host or a domain) on one aiohttp pool, opened on
    first use; `timeout` bounds each request."""

    def __init__(
        self, hosts: Iterable[str], *, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_PHOTO_BYTES
    ) -> None:
        self.hosts = frozenset(host_name(host) for host in hosts if host.strip())
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, connector=aiohttp.TCPConnector(limit=4))
        return self._session

    async def fetch(self, url: str) -> tuple[bytes, str] | None:
        """The photo at `url` as (bytes, MIME type), or None when it cannot be had or is not a picture."""
        try:
            target = URL(url)
            for _ in range(MAX_REDIRECTS + 1):
                if target.scheme not in SCHEMES or not target.host:
                    log.warning("not fetching a photo from a %r URL", target.scheme)
                    return None
                if not host_allowed(target.host, self.hosts):
                    log.warning("not fetching a photo from %s: not a host the platform serves files from", target.host)
                    return None
                async with self._client().get(target, allow_redirects=False) as response:
                    if response.status in REDIRECTS and "Location" in response.headers:
                        target = response.url.join(URL(response.headers["Location"]))
                        continue
                    return await self._picture(response)
            log.warning("a photo's URL redirected more than %d times", MAX_REDIRECTS)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("could not fetch a photo: %s", error.__class__.__name__)
        return None

    async def _picture(self, response: aiohttp.ClientResponse) -> tuple[bytes, str] | None:
        """The answer's bytes and their type if it is a picture of at most `max_bytes`, else None."""
        if response.status != 200 or not response.content_type.startswith("image/"):
            log.warning("a photo's URL answered %s %s", response.status, response.content_type)
            return None
        if response.content_length is not None and response.content_length > self.max_bytes:
            log.warning("a photo's URL answered %d bytes, over the cap", response.content_length)
            return None
        content = bytearray()
        async for piece in response.content.iter_chunked(CHUNK):
            content += piece
            if len(content) > self.max_bytes:
                log.warning("a photo's URL answered over %d bytes", self.max_bytes)
                return None
        mime = image_type(bytes(content))
        if mime is None:
            log.warning("a photo's URL answered bytes that are no JPEG, PNG, WebP or GIF")
            return None
        return bytes(content), mime

    async def close(self) -> None:
        """Close the pool (a later fetch opens a new one)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
