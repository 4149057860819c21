// An event function: `fn invoke <name> --data '{"name":"Ada"}'` (or
// `POST /v1/functions/<name>/invocations`) calls it with the JSON event; it returns JSON.
interface GreetEvent {
  name?: string;
}

interface Greeting {
  greeting: string;
}

const handler: FjordEventHandler<GreetEvent | null, Greeting> = async (event, ctx) => {
  // Delivery is at-least-once: ctx.invocationId and ctx.attempt help to stay idempotent.
  ctx.log.info(`invocation ${ctx.invocationId}, attempt ${ctx.attempt}`);
  return { greeting: `hello ${event?.name ?? 'world'}` };
};

export default handler;
