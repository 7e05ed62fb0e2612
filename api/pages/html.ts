import { escapeHtml } from '../../lib/escape-html';

export { escapeHtml };

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Greenlink</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem}code{background:#f1f1f1;padding:0 .25rem;border-radius:3px}
label{display:block;margin-top:.75rem;font-weight:600}input{font:inherit;padding:.4rem;width:100%;max-width:28rem}
button{font:inherit;margin-top:1rem;padding:.5rem 1rem;background:#0b6e4f;color:#fff;border:0;border-radius:4px;cursor:pointer}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.granted{color:#0b6e4f}.missing,.needs_site_admin{color:#b42318}.unknown,.not_checked{color:#555}
.notice{padding:.75rem 1rem;border-left:4px solid #b42318;background:#fef3f2}
.success{padding:.75rem 1rem;border-left:4px solid #0b6e4f;background:#ecfdf3}
</style>
</head>
<body><main>${body}</main></body>
</html>`;
}
