export function describe(greeting) {
  return `${greeting} from a wrangler project\n`;
}
