// a minimal DOM, enough to run docs/interactive/batchnorm.html's script and read what it writes
function Node(tag){this.tagName=tag;this.children=[];this.attrs={};this.listeners={};this.style={};this.className="";this.textContent="";this.innerHTML="";this.value="";this.checked=false;}
Node.prototype.setAttribute=function(k,v){this.attrs[k]=String(v)};
Node.prototype.getAttribute=function(k){return k in this.attrs?this.attrs[k]:null};
Node.prototype.appendChild=function(c){this.children.push(c);return c};
Node.prototype.removeChild=function(c){this.children.splice(this.children.indexOf(c),1)};
Object.defineProperty(Node.prototype,"firstChild",{get:function(){return this.children[0]||null}});
Node.prototype.addEventListener=function(e,f){(this.listeners[e]=this.listeners[e]||[]).push(f)};
var sel={};
["bn-inputs","bn-gamma","bn-beta","bn-unbiased","bn-stats","svg.bn-in","svg.bn-out","bn-table","bn-reset","bn-gamma-v","bn-beta-v"].forEach(function(k){sel[k]=new Node(k)});
sel["bn-gamma"].value="1";sel["bn-beta"].value="0";sel["bn-unbiased"].checked=true;
var root=new Node("div");root.attrs["data-values"]="[-1.2, 0.3, 0.8, 1.9, -0.4]";root.attrs["data-moved"]="0";
root.querySelector=function(q){return sel[q.replace(/^\./,"")]};
global.document={querySelectorAll:function(){return [root]},createElement:function(t){return new Node(t)},createElementNS:function(ns,t){return new Node(t)}};
require(process.argv[2]);
console.log(sel["bn-stats"].textContent);
var s0=sel["bn-inputs"].children[0].children[1]; s0.value="3"; s0.listeners.input[0]();
console.log(sel["bn-stats"].textContent);
console.log(sel["bn-table"].innerHTML);
