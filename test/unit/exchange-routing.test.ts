/**
 * The embedded broker's exchange routing against RabbitMQ's documented rules: the topic tutorial
 * (https://www.rabbitmq.com/tutorials/tutorial-five-javascript), the AMQP 0-9-1 model's direct
 * and fanout exchanges, and the edge cases of rabbit_exchange_type_topic (empty key, empty words).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  bindingMatches,
  exchangeTypeOf,
  topicMatches,
} from '../../adapters/broker-embedded/exchange-routing.ts';

describe('topic matching', () => {
  test("the topic tutorial's bindings *.orange.*, *.*.rabbit and lazy.#", () => {
    const bindings = ['*.orange.*', '*.*.rabbit', 'lazy.#'];
    const cases: [string, string[]][] = [
      ['quick.orange.rabbit', ['*.orange.*', '*.*.rabbit']],
      ['lazy.orange.elephant', ['*.orange.*', 'lazy.#']],
      ['quick.orange.fox', ['*.orange.*']],
      ['lazy.brown.fox', ['lazy.#']],
      // Matches two bindings of one queue: delivered once (the broker's part, see the contract).
      ['lazy.pink.rabbit', ['*.*.rabbit', 'lazy.#']],
      ['quick.brown.fox', []],
      ['orange', []],
      ['quick.orange.new.rabbit', []],
      ['lazy.orange.new.rabbit', ['lazy.#']],
    ];
    for (const [key, expected] of cases) {
      const matched = bindings.filter((binding) => topicMatches(binding, key));
      assert.deepEqual(matched, expected, `routing key "${key}"`);
    }
  });

  test('# alone matches every key, the empty one included; * alone exactly one word', () => {
    for (const key of ['', 'a', 'a.b', 'a.b.c', '.']) assert.ok(topicMatches('#', key), key);
    assert.ok(topicMatches('*', 'a'));
    assert.ok(!topicMatches('*', ''));
    assert.ok(!topicMatches('*', 'a.b'));
  });

  test('# matches zero words at the start, in the middle and at the end', () => {
    assert.ok(topicMatches('#.b', 'b'));
    assert.ok(topicMatches('#.b', 'a.a.b'));
    assert.ok(topicMatches('a.#.b', 'a.b'));
    assert.ok(topicMatches('a.#.b', 'a.x.y.b'));
    assert.ok(topicMatches('a.#', 'a'));
    assert.ok(!topicMatches('a.#.b', 'a.x.c'));
    assert.ok(topicMatches('#.#', 'a'));
    assert.ok(topicMatches('*.#', 'a'));
    assert.ok(!topicMatches('*.#', ''));
    assert.ok(topicMatches('#.*.#', 'a.b.c'));
  });

  test('words are compared whole, empty words count, and the match is case-sensitive', () => {
    assert.ok(topicMatches('order.created', 'order.created'));
    assert.ok(!topicMatches('order.created', 'order.createdx'));
    assert.ok(!topicMatches('order.created', 'Order.created'));
    assert.ok(!topicMatches('order*', 'orderx'), 'a * inside a word is a plain character');
    assert.ok(topicMatches('a.*.b', 'a..b'), 'the empty middle word is a word');
    assert.ok(topicMatches('a.*', 'a.'));
    assert.ok(!topicMatches('a', 'a.'));
    assert.ok(!topicMatches('', 'a'));
    assert.ok(topicMatches('', ''));
  });
});

describe('exchange types', () => {
  test("RabbitMQ's predefined exchanges keep their types; any other is a topic exchange", () => {
    assert.equal(exchangeTypeOf('amq.direct'), 'direct');
    assert.equal(exchangeTypeOf('amq.fanout'), 'fanout');
    assert.equal(exchangeTypeOf('amq.headers'), 'fanout');
    assert.equal(exchangeTypeOf('amq.topic'), 'topic');
    assert.equal(exchangeTypeOf('orders'), 'topic');
  });

  test('direct compares the whole key (no patterns); fanout ignores it', () => {
    assert.ok(bindingMatches('direct', 'order.created', 'order.created'));
    assert.ok(!bindingMatches('direct', 'order.*', 'order.created'));
    assert.ok(!bindingMatches('direct', '#', 'order.created'));
    assert.ok(bindingMatches('fanout', 'whatever', 'order.created'));
    assert.ok(bindingMatches('fanout', '', ''));
    assert.ok(bindingMatches('topic', 'order.*', 'order.created'));
  });
});
