// GraphQL over HTTP against this service's own `/graphql`, with the visitor's API key.

/** 401: the service has API keys and this one (or none) is not among them. */
export class KeyRequired extends Error {
  constructor(sentKey) {
    super(sentKey ? 'The API key was refused.' : 'This service needs an API key.');
    this.sentKey = sentKey;
  }
}

/** 429: too many refused keys from this address; the service says when to try again. */
export class Throttled extends Error {
  constructor(seconds) {
    super(`Too many refused keys from this address. Try again in ${seconds} s.`);
    this.seconds = seconds;
  }
}

/** Anything else that kept the query from answering: the network, the store, a bad answer. */
export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Runs one query and returns its `data`; any error in the answer is thrown. */
export async function query(document, variables, key) {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
  };
  if (key) headers.authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: document, variables }),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError('UNREACHABLE', 'The service does not answer.');
  }
  if (response.status === 401) throw new KeyRequired(Boolean(key));
  if (response.status === 429) {
    throw new Throttled(Number(response.headers.get('retry-after')) || 60);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError('BAD_ANSWER', `The service answered ${response.status} without JSON.`);
  }
  const [error] = body.errors ?? [];
  if (error) {
    throw new ApiError(error.extensions?.code ?? 'ERROR', error.message ?? 'unknown error');
  }
  if (!response.ok || !body.data) {
    throw new ApiError('BAD_ANSWER', `The service answered ${response.status}.`);
  }
  return body.data;
}
