// Streams a run and re-joins a background run through the official JS SDK, then prints what
// it saw as one JSON object on stdout. The Python test driving it asserts on that summary, so
// this script records facts and leaves the judging to the test.
//
// Usage: AGENT_RUNTIME_URL=http://127.0.0.1:8123 node stream_and_join.mjs

import { Client } from "@langchain/langgraph-sdk";

const url = process.env.AGENT_RUNTIME_URL;
if (!url) {
  console.error("AGENT_RUNTIME_URL is not set");
  process.exit(2);
}
// How many events to read from the background run before leaving it, to re-join after them.
const firstJoinEvents = Number(process.env.FIRST_JOIN_EVENTS ?? "5");

const client = new Client({ apiUrl: url });
const human = (text) => ({ messages: [{ role: "user", content: text }] });

function tokenDeltas(parts) {
  // messages-tuple parts carry [chunk, metadata]; each AI chunk's content is one delta.
  return parts
    .filter((p) => p.event === "messages")
    .map((p) => p.data[0])
    .filter((chunk) => chunk.type === "AIMessageChunk" || chunk.type === "ai")
    .map((chunk) => ({ id: chunk.id, content: chunk.content }));
}

async function streamOnThread() {
  const thread = await client.threads.create({ metadata: { client: "js-sdk" } });
  const parts = [];
  for await (const part of client.runs.stream(thread.thread_id, "agent", {
    input: human("stream please"),
    streamMode: ["messages-tuple", "values"],
  })) {
    parts.push({ event: part.event, id: part.id, data: part.data });
  }
  const deltas = tokenDeltas(parts);
  const values = parts.filter((p) => p.event === "values").map((p) => p.data);
  const state = await client.threads.getState(thread.thread_id);
  const stored = await client.threads.get(thread.thread_id);
  return {
    thread_id: thread.thread_id,
    events: parts.map((p) => p.event),
    ids: parts.map((p) => p.id ?? null),
    metadata: parts[0]?.data ?? null,
    deltas: deltas.map((d) => d.content).filter((c) => c !== ""),
    delta_message_ids: [...new Set(deltas.map((d) => d.id))],
    final_messages: (values.at(-1)?.messages ?? []).map((m) => ({
      type: m.type,
      content: m.content,
    })),
    state_messages: (state.values?.messages ?? []).map((m) => m.type),
    thread_status: stored.status,
  };
}

async function joinBackgroundRun() {
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, "agent", {
    input: human("run in the background"),
    streamMode: ["messages-tuple", "values"],
  });

  // First listener: read a few events, then walk away as a browser tab would.
  const controller = new AbortController();
  const first = [];
  try {
    for await (const part of client.runs.joinStream(thread.thread_id, run.run_id, {
      signal: controller.signal,
    })) {
      first.push({ event: part.event, id: part.id ?? null, data: part.data });
      if (first.length >= firstJoinEvents) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (error?.name !== "AbortError") throw error;
  }
  const lastEventId = first.at(-1)?.id ?? undefined;
  const statusAtRejoin = (await client.runs.get(thread.thread_id, run.run_id)).status;

  // Second listener: resume after the last event the first one saw.
  const rest = [];
  for await (const part of client.runs.joinStream(thread.thread_id, run.run_id, {
    lastEventId,
  })) {
    rest.push({ event: part.event, id: part.id ?? null, data: part.data });
  }
  const finished = await client.runs.get(thread.thread_id, run.run_id);
  const contents = (parts) =>
    tokenDeltas(parts)
      .map((d) => d.content)
      .filter((c) => c !== "");
  const values = rest.filter((p) => p.event === "values").map((p) => p.data);
  return {
    run_id: run.run_id,
    created_status: run.status,
    first: first.map((p) => ({ event: p.event, id: p.id })),
    first_deltas: contents(first),
    last_event_id: lastEventId ?? null,
    status_at_rejoin: statusAtRejoin,
    rest: rest.map((p) => ({ event: p.event, id: p.id })),
    rest_deltas: contents(rest),
    final_messages: (values.at(-1)?.messages ?? []).map((m) => ({
      type: m.type,
      content: m.content,
    })),
    run_status: finished.status,
  };
}

const summary = {
  sdk: "@langchain/langgraph-sdk",
  stream: await streamOnThread(),
  join: await joinBackgroundRun(),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
