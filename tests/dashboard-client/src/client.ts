// A dashboard's Apollo Client for mobiniti-events, as the README sets it up: queries over HTTP
// with automatic persisted queries (hashes sent by GET once registered), subscriptions over
// graphql-ws, and a normalized cache that pages contacts and messages with
// relayStylePagination. Only the WebSocket implementation is Node's own (`ws`); a browser has
// one.

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';

export interface Connection {
  /** `http://host:port` of the service. */
  base: string;
  /** An API key, when the service has them. */
  key?: string;
  /** Called with each request the client sends, for the checks. */
  fetch?: typeof fetch;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function dashboardClient({ base, key, fetch: send = fetch }: Connection) {
  const authorization: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  const http = ApolloLink.from([
    new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
    new HttpLink({ uri: `${base}/graphql`, headers: authorization, fetch: send }),
  ]);
  const live = new GraphQLWsLink(
    createClient({
      url: `${base.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: authorization,
      // A dashboard keeps its subscriptions through a restart of the service.
      retryAttempts: Infinity,
    }),
  );
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    live,
    http,
  );
  const cache = new InMemoryCache({
    typePolicies: {
      Query: {
        fields: {
          // Pages of one list with the same filter and order merge into one; the cursors
          // (`after`, `before`, `first`, `last`) choose the page, not the list.
          contacts: relayStylePagination(['filter', 'orderBy']),
          messages: relayStylePagination(['filter', 'orderBy']),
          events: relayStylePagination(['filter', 'orderBy']),
        },
      },
    },
  });
  return new ApolloClient({ link, cache });
}
