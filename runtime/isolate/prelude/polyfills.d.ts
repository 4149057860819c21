// core-js entry points installed for their side effects only (URL, URLSearchParams).
declare module 'core-js/web/url';
declare module 'core-js/web/url-search-params';
