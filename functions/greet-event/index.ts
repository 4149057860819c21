// greet-event: an event handler (a plain default export function) returning JSON. `fn up`
// deploys it; try `fn invoke greet-event --data '{"name":"Ada"}'`.
interface GreetEvent {
  name?: string;
}

const greet: FjordEventHandler<GreetEvent | null, { greeting: string }> = async (event, ctx) => {
  const name = typeof event?.name === 'string' && event.name !== '' ? event.name : 'world';
  ctx.log.info(`greeting ${name} (call ${ctx.callId}, attempt ${ctx.attempt})`);
  return { greeting: `hello ${name}` };
};

export default greet;
