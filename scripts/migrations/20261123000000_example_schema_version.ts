/**
 * Example migration, to show the shape knex expects: replace with the application's own. Runs as the
 * migration user (privileges "owner"), so the table lands in its schema.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("release_notes", (table) => {
    table.increments("id");
    table.string("version", 64).notNullable().unique();
    table.timestamp("released_at").notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("release_notes");
}
