import { describe, expect, it } from 'vitest';
import { mailboxOf } from '../../domain/mailbox';

describe('mailboxOf (the hand-off cap counts per mailbox)', () => {
  it('folds case, drops the +tag, and removes Gmail dots', () => {
    expect(mailboxOf(' Rita+greenhouse@Acme.example ')).toBe('rita@acme.example');
    expect(mailboxOf('a+1@x.io')).toBe('a@x.io');
    expect(mailboxOf('A.B+x@gmail.com')).toBe('ab@gmail.com');
    expect(mailboxOf('a.b@googlemail.com')).toBe('ab@gmail.com');
  });

  it('keeps dots where they matter and leaves odd addresses as they are', () => {
    expect(mailboxOf('first.last@acme.example')).toBe('first.last@acme.example');
    expect(mailboxOf('+only@acme.example')).toBe('+only@acme.example');
    expect(mailboxOf('no-at-sign')).toBe('no-at-sign');
  });
});
