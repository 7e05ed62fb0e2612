import type { MongoClient } from 'mongodb';
import { Counter, type Registry } from 'prom-client';

/** MongoDB commands this process sent, by name (find, insert, update…): what a request costs the database. */
export function countMongoCommands(client: MongoClient, register: Registry): void {
  const commands = new Counter({
    name: 'greenlink_mongodb_commands_total',
    help: 'MongoDB commands sent, by command name.',
    labelNames: ['command'] as const,
    registers: [register],
  });
  client.on('commandStarted', (event) => commands.inc({ command: event.commandName }));
}
