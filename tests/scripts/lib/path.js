// The path of an absolute URL, without the query (URL arrives with the Web platform issue).
export function pathOf(url) {
  const match = /^[a-z]+:\/\/[^/]*(\/[^?#]*)?/i.exec(url);
  return (match && match[1]) || "/";
}
