"""Phase 1: source text -> `ast.Script`, via tree-sitter-pwsh.

The grammar's tree is converted into our own AST (`ast.py`) so the rest of the interpreter never
sees tree-sitter. String contents are rebuilt from the *original* text (see `normalize.py`),
since the grammar leaves backtick escapes and quote pairs to us (`lexing.py`). Error repair and
ParserError records are in `parse_errors.py`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser

from hypervsim.powershell import ast as psast
from hypervsim.powershell.lexing import (
    parse_number,
    unescape_backticks,
)
from hypervsim.powershell.parse_errors import ParseFailure
from hypervsim.powershell.parse_expressions import ExpressionConverter, relocate

__all__ = ["ParseFailure", "parse", "parse_cached", "parse_number", "unescape_backticks"]

_LANGUAGE = Language(tree_sitter_pwsh.language())


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(_LANGUAGE)


def parse(source: str) -> psast.Script:
    """Parse a whole script. Raises `ParseFailure` on syntax errors."""
    return _Converter(source).script()


@lru_cache(maxsize=512)
def parse_cached(source: str) -> psast.Script:
    """`parse`, remembered by source text (syntax trees are never modified once built).

    For script blocks made from the same text again and again (`[scriptblock]::Create`), as
    PowerShell itself keeps a cache of compiled script blocks keyed by their text."""
    return parse(source)


class _Converter(ExpressionConverter):
    """Walks the tree-sitter tree once, producing AST nodes."""

    # ---------------------------------------------------------------- entry
    def script(self) -> psast.Script:
        tree = _parser().parse(self.data)
        root = tree.root_node
        for _attempt in range(32):
            if not root.has_error:
                break
            bad = self._first_error(root) or root
            if not (self._repair_switch(bad) or self._repair_inline_blocks()):
                raise self._fail(bad)
            tree = _parser().parse(self.data)
            root = tree.root_node
        block = self._script_block(root)
        block.text = self.orig
        return psast.Script(block=block, lines=self.lines, line=1, col=1)

    def _script_block(self, node: Node) -> psast.ScriptBlock:
        """`program` or `script_block`: optional param block, body or named blocks."""
        block = psast.ScriptBlock(**self._pos(node))
        block.text = self.orig_text(node)
        for child in self._named(node):
            if child.type == "param_block":
                self._param_block(child, block)
            elif child.type == "statement_list":
                block.end = self._statements(child)
            elif child.type == "script_block_body":
                for part in self._named(child):
                    if part.type == "statement_list":
                        block.end = self._statements(part)
                    elif part.type == "named_block_list":
                        self._named_blocks(part, block)
            elif child.type == "script_block":
                inner = self._script_block(child)
                block.params, block.cmdlet_binding = inner.params, inner.cmdlet_binding
                block.should_process = inner.should_process
                block.begin, block.process, block.end = inner.begin, inner.process, inner.end
            elif child.type == "named_block_list":
                self._named_blocks(child, block)
            else:
                raise self._unsupported(child)
        return block

    def _named_blocks(self, node: Node, block: psast.ScriptBlock) -> None:
        for nb in self._named(node):
            name_node = nb.child_by_field_name("block_name") or self._named(nb)[0]
            name = self.text(name_node).strip().lower()
            body_node = next(c for c in self._named(nb) if c.type == "statement_block")
            body = self._statement_block(body_node)
            if name == "begin":
                block.begin = body
            elif name == "process":
                block.process = body
            elif name == "end":
                block.end = body
            else:
                raise self._unsupported(nb)

    def _param_block(self, node: Node, block: psast.ScriptBlock) -> None:
        """Fill `block` with the declared parameters and its [CmdletBinding(...)] facts."""
        for child in self._named(node):
            if child.type == "attribute_list":
                for attr in self._named(child):
                    text = self.text(attr).lower()
                    if "cmdletbinding" in text:
                        block.cmdlet_binding = True
                        block.should_process = "supportsshouldprocess" in text
            elif child.type == "parameter_list":
                block.params = self._parameter_list(child)

    def _parameter_list(self, node: Node) -> list[psast.ParamDecl]:
        params: list[psast.ParamDecl] = []
        for sp in self._named(node):
            if sp.type == "script_parameter":
                params.extend(self._script_parameter(sp))
        return params

    def _script_parameter(self, node: Node) -> list[psast.ParamDecl]:
        decl = psast.ParamDecl(name="", **self._pos(node))
        extra: list[psast.ParamDecl] = []
        for child in self._named(node):
            if child.type == "attribute_list":
                for attr in self._named(child):
                    self._apply_attribute(decl, attr)
            elif child.type == "variable":
                decl.name = self._variable(child).name
            elif child.type == "script_parameter_default":
                value_node = self._named(child)[0]
                decl.default, extra = self._split_default(value_node)
        return [decl, *extra]

    def _split_default(self, node: Node) -> tuple[psast.Expr, list[psast.ParamDecl]]:
        """Work around the grammar reading `$b = 2, [switch]$s` as one array default."""
        if node.type != "array_literal_expression":
            return self._expr(node), []
        items = self._named(node)
        for idx, item in enumerate(items):
            if idx > 0 and self._looks_like_parameter(item):
                head = [self._expr(i) for i in items[:idx]]
                default: psast.Expr = (
                    head[0] if len(head) == 1 else psast.ArrayLiteral(head, **self._pos(node))
                )
                extra = [self._parameter_from_expr(i) for i in items[idx:]]
                return default, extra
        return self._expr(node), []

    def _looks_like_parameter(self, node: Node) -> bool:
        text = self.text(node).strip()
        return bool(re.fullmatch(r"(\[[^\]]*\]\s*)*\$\w+", text))

    def _parameter_from_expr(self, node: Node) -> psast.ParamDecl:
        text = self.text(node).strip()
        decl = psast.ParamDecl(name=text.rsplit("$", 1)[1], **self._pos(node))
        types = re.findall(r"\[([^\]]*)\]", text)
        if types:
            decl.type_name = types[-1].strip()
        return decl

    def _apply_attribute(self, decl: psast.ParamDecl, attr: Node) -> None:
        text = self.text(attr).strip()
        inner = text[1:-1].strip()
        lowered = inner.lower()
        if lowered.startswith("parameter"):
            args = inner[len("parameter") :].strip("() ")
            for part in args.split(","):
                key, _, value = part.partition("=")
                key = key.strip().lower()
                value = value.strip().lower()
                truthy = value in ("", "$true")
                if key == "mandatory":
                    decl.mandatory = truthy
                elif key == "position":
                    decl.position = int(value) if value.isdigit() else None
                elif key in ("valuefrompipeline", "valuefrompipelinebypropertyname"):
                    decl.from_pipeline = decl.from_pipeline or truthy
        elif lowered.startswith("alias"):
            decl.aliases = tuple(re.findall(r"['\"]([^'\"]+)['\"]", inner))
        elif "(" not in inner and not lowered.startswith("validate"):
            decl.type_name = inner

    # ---------------------------------------------------------------- statements
    def _statement_block(self, node: Node) -> list[psast.Statement]:
        for child in self._named(node):
            if child.type == "statement_list":
                return self._statements(child)
        return []

    def _statements(self, node: Node) -> list[psast.Statement]:
        out: list[psast.Statement] = []
        label: str | None = None
        for child in self._named(node):
            if child.type in ("empty_statement", "comment"):
                continue
            if child.type == "label":
                label = self.text(child).strip()[1:]
                continue
            stmt = self._statement(child)
            if label is not None and hasattr(stmt, "label"):
                stmt.label = label  # type: ignore[attr-defined]
            label = None
            out.append(stmt)
        return out

    def _statement(self, node: Node) -> psast.Statement:
        kind = node.type
        pos = self._pos(node)
        if kind == "pipeline":
            return self._pipeline(node)
        if kind == "if_statement":
            return self._if(node)
        if kind == "foreach_statement":
            named = self._named(node)
            var = next(c for c in named if c.type == "variable")
            iterable = next(c for c in named if c.type == "pipeline")
            body = next(c for c in named if c.type == "statement_block")
            return psast.ForEachStatement(
                self._variable(var).name,
                self._pipeline(iterable),
                self._statement_block(body),
                **pos,
            )
        if kind == "for_statement":
            parts: dict[str, psast.Statement | None] = {"init": None, "cond": None, "iter": None}
            body_stmts: list[psast.Statement] = []
            for child in self._named(node):
                key = {
                    "for_initializer": "init",
                    "for_condition": "cond",
                    "for_iterator": "iter",
                }.get(child.type)
                if key:
                    parts[key] = self._pipeline(self._named(child)[0])
                elif child.type == "statement_block":
                    body_stmts = self._statement_block(child)
            return psast.ForStatement(
                parts["init"], parts["cond"], parts["iter"], body_stmts, **pos
            )
        if kind == "while_statement":
            cond = next(c for c in self._named(node) if c.type == "while_condition")
            body = next(c for c in self._named(node) if c.type == "statement_block")
            return psast.WhileStatement(
                self._pipeline(self._named(cond)[0]), self._statement_block(body), **pos
            )
        if kind == "do_statement":
            cond = next(c for c in self._named(node) if c.type == "while_condition")
            body = next(c for c in self._named(node) if c.type == "statement_block")
            until = any(c.type == "until" for c in node.children)
            return psast.DoStatement(
                self._statement_block(body), self._pipeline(self._named(cond)[0]), until, **pos
            )
        if kind == "switch_statement":
            return self._switch(node)
        if kind == "try_statement":
            return self._try(node)
        if kind == "flow_control_statement":
            keyword = node.children[0].type.lower()
            value: psast.Statement | None = None
            label = None
            for child in self._named(node):
                if child.type == "pipeline":
                    value = self._pipeline(child)
                elif child.type in ("label_expression", "simple_name"):
                    label = self.text(child).strip()
            return psast.FlowStatement(keyword, value, label, text=self.orig_text(node), **pos)
        if kind == "function_statement":
            return self._function(node)
        raise self._unsupported(node)

    def _if(self, node: Node) -> psast.IfStatement:
        clauses: list[tuple[psast.Statement, list[psast.Statement]]] = []
        else_body: list[psast.Statement] | None = None
        cond = node.child_by_field_name("condition")
        body = next(c for c in self._named(node) if c.type == "statement_block")
        assert cond is not None
        clauses.append((self._pipeline(cond), self._statement_block(body)))
        for child in self._named(node):
            if child.type == "elseif_clauses":
                for clause in self._named(child):
                    c = clause.child_by_field_name("condition")
                    b = next(x for x in self._named(clause) if x.type == "statement_block")
                    assert c is not None
                    clauses.append((self._pipeline(c), self._statement_block(b)))
            elif child.type == "else_clause":
                b = next(x for x in self._named(child) if x.type == "statement_block")
                else_body = self._statement_block(b)
        return psast.IfStatement(clauses, else_body, **self._pos(node))

    def _switch(self, node: Node) -> psast.SwitchStatement:
        flags: set[str] = set()
        subject: psast.Statement | None = None
        clauses: list[psast.SwitchClause] = []
        for child in self._named(node):
            if child.type == "switch_parameters":
                for p in self._named(child):
                    flags.add(self.text(p).strip().lstrip("-").lower())
            elif child.type == "switch_condition":
                subject = self._pipeline(self._named(child)[0])
            elif child.type == "switch_body":
                for group in self._named(child):
                    for clause in self._named(group):
                        clauses.append(self._switch_clause(clause))
        if "file" in flags:
            raise self._unsupported(node)
        assert subject is not None
        return psast.SwitchStatement(subject, clauses, frozenset(flags), **self._pos(node))

    def _switch_clause(self, node: Node) -> psast.SwitchClause:
        cond_node = next(c for c in self._named(node) if c.type == "switch_clause_condition")
        body = next(c for c in self._named(node) if c.type == "statement_block")
        inner = self._named(cond_node)
        cond: psast.Expr | None
        if not inner:
            word = self.orig_text(cond_node).strip()
            cond = (
                None if word.lower() == "default" else psast.Constant(word, **self._pos(cond_node))
            )
        elif inner[0].type == "simple_name":
            word = self.orig_text(inner[0]).strip()
            cond = (
                None if word.lower() == "default" else psast.Constant(word, **self._pos(cond_node))
            )
        else:
            cond = self._expr(inner[0])
        return psast.SwitchClause(cond, self._statement_block(body), **self._pos(node))

    def _try(self, node: Node) -> psast.TryStatement:
        body: list[psast.Statement] = []
        catches: list[psast.CatchClause] = []
        finally_body: list[psast.Statement] | None = None
        for child in self._named(node):
            if child.type == "statement_block":
                body = self._statement_block(child)
            elif child.type == "catch_clauses":
                for clause in self._named(child):
                    types: list[str] = []
                    cbody: list[psast.Statement] = []
                    for part in self._named(clause):
                        if part.type == "catch_type_list":
                            types = [self.text(t).strip()[1:-1].strip() for t in self._named(part)]
                        elif part.type == "statement_block":
                            cbody = self._statement_block(part)
                    catches.append(psast.CatchClause(types, cbody, **self._pos(clause)))
            elif child.type == "finally_clause":
                b = next(x for x in self._named(child) if x.type == "statement_block")
                finally_body = self._statement_block(b)
        return psast.TryStatement(body, catches, finally_body, **self._pos(node))

    def _function(self, node: Node) -> psast.FunctionDefinition:
        name = ""
        block = psast.ScriptBlock(**self._pos(node))
        params: list[psast.ParamDecl] = []
        for child in self._named(node):
            if child.type == "function_name":
                name = self.text(child).strip()
            elif child.type == "function_parameter_declaration":
                for pl in self._named(child):
                    if pl.type == "parameter_list":
                        params = self._parameter_list(pl)
            elif child.type == "script_block":
                block = self._script_block(child)
        if params and not block.params:
            block.params = params
        is_filter = self.text(node.children[0]).lower() == "filter"
        return psast.FunctionDefinition(name, block, is_filter, **self._pos(node))

    # ---------------------------------------------------------------- pipelines
    def _pipeline(self, node: Node) -> psast.Statement:
        """`pipeline` / `pipeline_chain` / `assignment_expression` -> Pipeline or Assignment."""
        if node.type == "pipeline":
            named = self._named(node)
            if len(named) == 1:
                return self._pipeline(named[0])
            raise self._unsupported(node)
        if node.type == "assignment_expression":
            return self._assignment(node)
        if node.type == "pipeline_chain":
            stages: list[psast.Command | psast.ExprStage] = []
            for child in self._named(node):
                if child.type == "pipeline_chain_tail":
                    raise self._unsupported(child)
                if child.type == "command":
                    stages.append(self._command(child))
                else:
                    stages.append(psast.ExprStage(self._expr(child), **self._pos(child)))
            return psast.Pipeline(stages, text=self.orig_text(node), **self._pos(node))
        if node.type in ("if_statement", "switch_statement", "foreach_statement", "try_statement"):
            return self._statement(node)
        # a bare expression standing in for a pipeline
        return psast.Pipeline(
            [psast.ExprStage(self._expr(node), **self._pos(node))],
            text=self.orig_text(node),
            **self._pos(node),
        )

    def _assignment(self, node: Node) -> psast.Assignment:
        named = self._named(node)
        target_node = named[0]
        op = self.text(next(c for c in named if c.type == "assignment_operator")).strip()
        value_node = named[-1]
        target_inner = (
            self._named(target_node)[0]
            if target_node.type == "left_assignment_expression"
            else target_node
        )
        target = self._expr(target_inner)
        if value_node.type == "assignment_value":
            value = self._pipeline(self._named(value_node)[0])
        else:
            value = self._pipeline(value_node)
        return psast.Assignment(target, op, value, text=self.orig_text(node), **self._pos(node))

    def _command(self, node: Node) -> psast.Command | psast.ExprStage:
        pos = self._pos(node)
        invoke_op: str | None = None
        name: str | psast.Expr = ""
        elements: list[psast.CommandParameter | psast.CommandArgument] = []
        redirections: list[psast.Redirection] = []
        for child in self._named(node):
            if child.type == "command_invocation_operator":
                invoke_op = self.text(child).strip()
            elif child.type == "command_name":
                raw = self.orig_text(child)
                if re.match(r"^[0-9]", raw) or (raw.startswith("-") and raw[1:2].isdigit()):
                    return self._range_command(node, child, raw)
                name = unescape_backticks(raw)
            elif child.type == "command_name_expr":
                name = self._command_name_expr(child)
            elif child.type == "command_elements":
                elements, redirections = self._command_elements(child)
        return psast.Command(
            name, elements, invoke_op, redirections, text=self.orig_text(node), **pos
        )

    def _range_command(self, node: Node, name_node: Node, raw: str) -> psast.ExprStage:
        """The grammar reads `1..3` as a command name; re-parse it as an expression."""
        inner = _Converter(
            "$__r["
            + self.norm[self._char(name_node.start_byte) : self._char(name_node.end_byte)]
            + "]"
        )
        tree = _parser().parse(inner.data)
        if tree.root_node.has_error:
            raise self._fail(name_node)
        access = tree.root_node
        while access.type != "element_access":
            access = access.named_children[0]
        expr = inner._expr(access.named_children[1])
        pos = self._pos(name_node)
        relocate(expr, pos["line"], pos["col"] - 6)
        if any(
            c.type == "command_elements"
            and any(e.type != "command_argument_sep" for e in self._named(c))
            for c in self._named(node)
        ):
            raise self._fail(name_node)
        return psast.ExprStage(expr, **pos)

    def _command_name_expr(self, node: Node) -> str | psast.Expr:
        named = self._named(node)
        if not named:
            return unescape_backticks(self.orig_text(node).strip())
        child = named[0]
        if child.type == "path_command_name":
            inner = self._named(child)
            if len(inner) == 1 and inner[0].type == "variable":
                return self._variable(inner[0])
            return unescape_backticks(self.orig_text(child).strip())
        return self._expr(child)

    def _command_elements(
        self, node: Node
    ) -> tuple[list[psast.CommandParameter | psast.CommandArgument], list[psast.Redirection]]:
        elements: list[psast.CommandParameter | psast.CommandArgument] = []
        redirections: list[psast.Redirection] = []
        children = [c for c in node.named_children if c.type != "comment"]
        i = 0
        while i < len(children):
            child = children[i]
            pos = self._pos(child)
            if child.type == "command_argument_sep":
                i += 1
                continue
            if child.type == "redirection":
                redirections.append(self._redirection(child))
            elif child.type == "command_parameter":
                raw = self.text(child).strip()
                colon = raw.endswith(":")
                j = i + 1
                if not colon and j < len(children) and children[j].type == "command_argument_sep":
                    colon = ":" in self.text(children[j])
                    j += 1 if colon else 0
                param = psast.CommandParameter(raw.rstrip(":")[1:], text=raw.rstrip(":"), **pos)
                if colon:
                    while j < len(children) and children[j].type == "command_argument_sep":
                        j += 1
                    if j < len(children):
                        param.value = self._argument(children[j])
                        i = j
                elements.append(param)
            elif child.type == "verbatim_command_argument" or child.type == "stop_parsing":
                raise self._unsupported(child)
            else:
                expr = self._argument(child)
                nxt = children[i + 1] if i + 1 < len(children) else None
                if (
                    nxt is not None
                    and nxt.type == "argument_list"
                    and isinstance(expr, psast.MemberAccess)
                    and isinstance(expr.member, str)
                ):
                    # `$s.Substring(1)` as an argument: the grammar leaves the `(1)` beside
                    # the member access; PowerShell reads one method call.
                    expr = psast.MethodCall(
                        expr.target, expr.member, self._method_args(nxt), expr.static, **pos
                    )
                    i += 1
                splat = isinstance(expr, psast.VariableRef) and expr.splat
                elements.append(psast.CommandArgument(expr, splat, **pos))
            i += 1
        return elements, redirections

    def _redirection(self, node: Node) -> psast.Redirection:
        pos = self._pos(node)
        named = self._named(node)
        op = self.text(named[0]).strip()
        if named[0].type == "merging_redirection_operator":
            stream, _, to = op.partition(">&")
            return psast.Redirection(stream or "1", None, merge_to=to, **pos)
        append = op.endswith(">>")
        stream = op.rstrip(">") or "1"
        target: psast.Expr | None = None
        if len(named) > 1:
            parts = [c for c in self._named(named[1]) if c.type != "command_argument_sep"]
            target = (
                self._argument(parts[0])
                if parts
                else psast.Constant(self.text(named[1]).strip(), **pos)
            )
        return psast.Redirection(stream, target, append=append, **pos)

    def _argument(self, node: Node) -> psast.Expr:
        """A command argument: barewords are strings, everything else an expression."""
        pos = self._pos(node)
        kind = node.type
        if kind in ("generic_token", "expandable_bareword", "simple_name"):
            return psast.Constant(unescape_backticks(self.orig_text(node)), **pos)
        if kind == "bareword_argument_list":
            return psast.ArrayLiteral([self._argument(c) for c in self._named(node)], **pos)
        if kind == "argument_list":
            # `New-Object T($a, $b)`: in command mode `(` ends the bareword, so PowerShell sees
            # the type name and then ONE argument, the parenthesised expression `($a, $b)`
            # (an array when it has commas) -- which binds to New-Object's -ArgumentList.
            items = [self._expr(a) for lst in self._named(node) for a in self._named(lst)]
            if not items:
                raise self._expression_expected(node)
            return items[0] if len(items) == 1 else psast.ArrayLiteral(items, **pos)
        if kind == "concatenated_command_argument":
            parts: list[str | psast.Expr] = []
            for c in self._named(node):
                if c.type in ("generic_token", "expandable_bareword", "simple_name"):
                    parts.append(unescape_backticks(self.orig_text(c)))
                else:
                    parts.append(self._expr(c))
            return psast.ExpandableString(parts, **pos)
        return self._expr(node)

    # ---------------------------------------------------------------- expressions
