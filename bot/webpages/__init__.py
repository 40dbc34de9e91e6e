"""The leaders' pages: commune, village and province progress in a browser, opened from the chat (`/web`).

`routes.py` the addresses, sign-in and scope; `views.py` what a page shows, read from the reports' roll-ups;
`html.py` the HTML and its SVG charts; `initdata.py` the Telegram Mini App's signed data.
"""
