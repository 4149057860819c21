// A Hono application, written as for Cloudflare Workers: nothing in it knows about Fjord.
// `npm install` here, then `fn deploy functions/hono-app`, then for example:
//   curl http://127.0.0.1:8080/fn/hono-app/api/books/1
//   curl -u admin:change-me http://127.0.0.1:8080/fn/hono-app/admin/stats
import { Hono } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { streamText } from 'hono/streaming';

type Bindings = { ADMIN_USER: string; ADMIN_PASSWORD: string };

interface Book {
  id: string;
  title: string;
  author: string;
  year: number;
}

const BOOKS: Book[] = [
  { id: '1', title: 'The Left Hand of Darkness', author: 'Ursula K. Le Guin', year: 1969 },
  { id: '2', title: 'The Dispossessed', author: 'Ursula K. Le Guin', year: 1974 },
  { id: '3', title: 'Kindred', author: 'Octavia E. Butler', year: 1979 },
];

const app = new Hono<{ Bindings: Bindings }>();

app.use('*', requestId());
app.use(
  '/api/*',
  cors({
    origin: ['https://books.example.com'],
    allowMethods: ['GET', 'POST'],
    exposeHeaders: ['X-Request-Id'],
    maxAge: 600,
  }),
);
app.use('/admin/*', async (c, next) => {
  const auth = basicAuth({ username: c.env.ADMIN_USER, password: c.env.ADMIN_PASSWORD });
  return auth(c, next);
});

app.get('/', (c) => c.text('Books API: try /api/books\n'));

app.get('/api/books', (c) => {
  const author = c.req.query('author');
  const books = author === undefined ? BOOKS : BOOKS.filter((b) => b.author.includes(author));
  return c.json({ books, requestId: c.get('requestId') });
});

app.get('/api/books/:id', (c) => {
  const book = BOOKS.find((b) => b.id === c.req.param('id'));
  if (book === undefined) return c.json({ error: `no book ${c.req.param('id')}` }, 404);
  return c.json(book);
});

app.post('/api/books', async (c) => {
  const input = await c.req.json<Partial<Book>>().catch(() => {
    throw new HTTPException(400, { message: 'the body must be JSON' });
  });
  if (typeof input.title !== 'string' || typeof input.author !== 'string') {
    return c.json({ error: 'title and author are required strings' }, 422);
  }
  const book: Book = {
    id: crypto.randomUUID(),
    title: input.title,
    author: input.author,
    year: typeof input.year === 'number' ? input.year : new Date().getFullYear(),
  };
  return c.json(book, 201, { Location: `/api/books/${book.id}` });
});

app.get('/api/authors/:author/books/:year{[0-9]{4}}', (c) => {
  const { author, year } = c.req.param();
  const books = BOOKS.filter((b) => b.author.includes(author) && b.year === Number(year));
  return c.json({ author, year: Number(year), titles: books.map((b) => b.title) });
});

app.get('/admin/stats', (c) => c.json({ books: BOOKS.length, user: c.env.ADMIN_USER }));

app.get('/stream', (c) =>
  streamText(c, async (stream) => {
    for (const book of BOOKS) {
      await stream.writeln(`${book.year} ${book.title}`);
      await stream.sleep(5);
    }
    await stream.write('done');
  }),
);

app.notFound((c) => c.json({ error: 'not found', path: c.req.path }, 404));

app.onError((error, c) => {
  // HTTPExceptions carry their own response (basicAuth's has WWW-Authenticate).
  if (error instanceof HTTPException) return error.getResponse();
  console.error(error);
  return c.json({ error: 'internal error' }, 500);
});

export default app;
