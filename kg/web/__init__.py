"""The browser pages' templates (Jinja2, autoescaped) and static assets (YASGUI, the stylesheet): package
data, served by ``kg.api.pages`` from the installed package, never from a CDN."""
